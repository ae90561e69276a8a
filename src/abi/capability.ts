// Capability numbers (include/uapi/linux/capability.h) used by the modelled checks.

export const CAP_CHOWN = 0;
export const CAP_DAC_OVERRIDE = 1;
export const CAP_DAC_READ_SEARCH = 2;
export const CAP_FOWNER = 3;
export const CAP_IPC_LOCK = 14;
export const CAP_SYS_RAWIO = 17;
export const CAP_SYS_ADMIN = 21;
export const CAP_SYS_RESOURCE = 24;

const NAMES: Record<string, number> = {
  CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_IPC_LOCK, CAP_SYS_RAWIO, CAP_SYS_ADMIN, CAP_SYS_RESOURCE,
};

export function capabilityByName(name: string): number | undefined {
  return NAMES[name.toUpperCase().startsWith('CAP_') ? name.toUpperCase() : 'CAP_' + name.toUpperCase()];
}
