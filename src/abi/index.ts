// Linux x86-64 ABI constants used across the model.
export * from './errno.js';
export * from './mman.js';
export * from './fcntl.js';
export * from './vm_flags.js';
export * from './signal.js';
export * from './ioctl.js';
export * from './personality.js';
export * from './capability.js';
export * from './stat.js';
export * from './page.js';
