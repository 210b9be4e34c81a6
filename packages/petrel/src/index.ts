export { startDaemon, type Daemon } from './daemon.js';
export { DEFAULT_CONFIG } from './paths.js';
export { CONFIG_EXTENSIONS, loadPetrelConfig } from './config.js';
