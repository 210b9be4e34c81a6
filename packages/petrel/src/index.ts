export { startDaemon, type Daemon } from './daemon.js';
export { DEFAULT_CONFIG } from './paths.js';
