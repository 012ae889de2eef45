export * from './codes.ts';
export * from './remoting-command.ts';
export * from './frame-codec.ts';
export * from './remoting-connection.ts';
export * from './remoting-server.ts';
export * from './remoting-client.ts';
export * from './tls-transport.ts';
