export { Fleet, type FleetOptions, type InstanceInfo } from './fleet.js';
export { chargedElsewhere, installFleet, INSTANCE_HEADER, instancesResponseSchema, type BatchRead, type BatchReader } from './http.js';
export { assignSlots } from './slot-assignment.js';
