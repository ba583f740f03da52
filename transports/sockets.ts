/**
 * The `socket()` factory and `Socket` class, Python's `socket` objects for
 * the `sock*` loop methods, and those methods.
 *
 * @module
 */
import { NotImplementedError } from "../loop/exceptions.ts";
import type { EventLoop } from "../loop/event_loop.ts";
import type { Address } from "./trsock.ts";

/** A socket, as made by `socket(family, type)`. */
export class Socket {
  /** Made by `socket()`. */
  constructor(_family: number, _type: number) {
    throw new NotImplementedError("Socket: work in progress");
  }
}

/** `loop.sockRecv`. */
export function sockRecv(_loop: EventLoop, _sock: Socket, _nbytes: number): Promise<Uint8Array> {
  return Promise.reject(new NotImplementedError("sockRecv: work in progress"));
}

/** `loop.sockRecvInto`. */
export function sockRecvInto(_loop: EventLoop, _sock: Socket, _buf: Uint8Array): Promise<number> {
  return Promise.reject(new NotImplementedError("sockRecvInto: work in progress"));
}

/** `loop.sockRecvfrom`. */
export function sockRecvfrom(
  _loop: EventLoop,
  _sock: Socket,
  _bufsize: number,
): Promise<[Uint8Array, Address]> {
  return Promise.reject(new NotImplementedError("sockRecvfrom: work in progress"));
}

/** `loop.sockRecvfromInto`. */
export function sockRecvfromInto(
  _loop: EventLoop,
  _sock: Socket,
  _buf: Uint8Array,
  _nbytes?: number,
): Promise<[number, Address]> {
  return Promise.reject(new NotImplementedError("sockRecvfromInto: work in progress"));
}

/** `loop.sockSendall`. */
export function sockSendall(_loop: EventLoop, _sock: Socket, _data: Uint8Array): Promise<void> {
  return Promise.reject(new NotImplementedError("sockSendall: work in progress"));
}

/** `loop.sockSendto`. */
export function sockSendto(
  _loop: EventLoop,
  _sock: Socket,
  _data: Uint8Array,
  _address: Address,
): Promise<number> {
  return Promise.reject(new NotImplementedError("sockSendto: work in progress"));
}

/** `loop.sockConnect`. */
export function sockConnect(_loop: EventLoop, _sock: Socket, _address: Address): Promise<void> {
  return Promise.reject(new NotImplementedError("sockConnect: work in progress"));
}

/** `loop.sockAccept`. */
export function sockAccept(_loop: EventLoop, _sock: Socket): Promise<[Socket, Address]> {
  return Promise.reject(new NotImplementedError("sockAccept: work in progress"));
}
