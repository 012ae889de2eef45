export * from './header-fields.ts';
export * from './route-data.ts';
export * from './topic-config.ts';
export * from './heartbeat.ts';
export * from './subscription-group.ts';
export * from './fastjson.ts';
export * from './send-message-header.ts';
