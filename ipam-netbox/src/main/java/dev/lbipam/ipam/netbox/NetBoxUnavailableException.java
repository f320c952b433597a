package dev.lbipam.ipam.netbox;

/**
 * NetBox gave no definite answer: connection refused or reset, a timeout, a 5xx or 429, or the
 * circuit breaker is open. The outcome of a write is unknown, so callers look their claim up
 * again before they retry.
 */
public final class NetBoxUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final boolean circuitOpen;

  public NetBoxUnavailableException(String message, boolean circuitOpen, Throwable cause) {
    super(message, cause);
    this.circuitOpen = circuitOpen;
  }

  /** True when the call was not even tried; retrying at once is pointless. */
  public boolean circuitOpen() {
    return circuitOpen;
  }
}
