/** The upload page for rufh servers: `createUiHandler` serves it; `rufh serve --ui` puts it at the server's root. */
export { createUiHandler, type UiHandler, type UiOptions } from './ui-handler.js'
