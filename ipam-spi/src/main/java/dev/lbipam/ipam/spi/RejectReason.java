package dev.lbipam.ipam.spi;

/** Why an allocation or a hold was refused. Each maps to one Warning Event reason. */
public enum RejectReason {
  /** Every pool that applies is full; retried when addresses are freed or the pools change. */
  POOL_EXHAUSTED,
  /** No pool applies to the Service (or to the IP family it needs). */
  NO_POOL,
  /** The pool configuration the Service depends on is malformed. */
  INVALID_CONFIG,
  /** A requested address is held by someone else and cannot be shared. */
  ADDRESS_IN_USE,
  /** The request itself is malformed. */
  INVALID_REQUEST,
  /** The backend could not be reached or failed; retried with backoff. */
  BACKEND_UNAVAILABLE
}
