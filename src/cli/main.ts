import { trellisctl } from './trellisctl.js';

process.exitCode = await trellisctl(process.argv.slice(2), process);
