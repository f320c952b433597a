package dev.lbipam.ipam.spi.net;

/** Thrown by the address parsers, and only by them, when a text is not a valid address, CIDR or range. */
public final class AddressFormatException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public AddressFormatException(String message) {
    super(message);
  }
}
