/** The `egress-warden` executable: runs the command line on process.argv and exits with its code. */
import { createContext } from './context';
import { run } from './main';

process.exitCode = await run(process.argv.slice(2), createContext());
