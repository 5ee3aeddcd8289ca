// Every command of docs/liaison-guide.md, run as written in a scripted environment (test/docs/scripts.ts
// says what it holds and what is substituted; test/docs/runner.ts how each command runs).
import t from 'tap'
import { runDocument } from './runner.js'

await runDocument(t, 'docs/liaison-guide.md')
