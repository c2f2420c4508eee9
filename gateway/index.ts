export { createGatewayApp } from "./app.ts";
