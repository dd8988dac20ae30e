#!/usr/bin/env node
import { buildProgram, runProgram } from './program';

void runProgram(buildProgram(), process.argv);
