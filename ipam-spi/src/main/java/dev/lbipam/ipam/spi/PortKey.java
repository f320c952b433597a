package dev.lbipam.ipam.spi;

import java.util.Objects;

/** One (protocol, port) of a Service; sharing an address requires these not to clash. */
public record PortKey(String protocol, int port) {

  public PortKey {
    Objects.requireNonNull(protocol, "protocol");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }

  @Override
  public String toString() {
    return protocol + "/" + port;
  }
}
