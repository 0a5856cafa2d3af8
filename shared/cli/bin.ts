#!/usr/bin/env node
/** The `egress-warden` executable: runs the command line on process.argv and exits with its code. */
import { createContext } from './context';
import { run } from './main';

// The pinned SDK clients support Node 20; their nine-line notice about future versions would bury every
// answer on stderr. Set, an operator's own value wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

process.exitCode = await run(process.argv.slice(2), createContext());
