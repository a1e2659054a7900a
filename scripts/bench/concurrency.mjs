// Suite `concurrency`: rufh load at 1/4/16 users against rufh serve and @tus/server (lives with the load tester).
export * from '../../packages/load/bench/concurrency.mjs'
