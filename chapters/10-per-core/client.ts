/**
 * Chapter 10's client is chapter 06's: one connection is served by one loop
 * whatever the server does with its cores, and one epoll set holding stdin
 * and the socket is still all a client needs.
 *
 * Run: deno task client [--host H] [--port P]
 *
 * @module
 */
import "../06-epoll/client.ts";
