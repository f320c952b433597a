package dev.lbipam.ipam.spi;

/** An infrastructure failure inside a backend. {@link #retryable()} says whether to try again. */
public class IpamException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final boolean retryable;

  public IpamException(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }

  public IpamException(String message, boolean retryable) {
    this(message, retryable, null);
  }

  public boolean retryable() {
    return retryable;
  }
}
