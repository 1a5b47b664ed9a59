export { Fleet, type FleetOptions, type InstanceInfo } from './fleet.js';
export { chargedElsewhere, installFleet, INSTANCE_HEADER, instancesResponseSchema } from './http.js';
export { assignSlots } from './slot-assignment.js';
