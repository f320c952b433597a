package dev.lbipam.ipam.netbox;

/**
 * NetBox answered definitely, but not as the caller needs: 403 (token or permission), an
 * unexpected 4xx, a redirect, or a body that is not the JSON expected. Retrying does not help
 * until someone changes NetBox or the configuration; the message says what.
 */
public final class NetBoxApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;

  public NetBoxApiException(String message, int status) {
    super(message);
    this.status = status;
  }

  public int status() {
    return status;
  }
}
