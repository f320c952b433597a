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

  /**
   * The sharing rule, in one place for every backend and the host: two Services may share one
   * address when both name ports and no (protocol, port) pair is used by both. A Service without
   * ports never shares. O(|a| + |b|).
   */
  public static boolean canShare(java.util.List<PortKey> a, java.util.List<PortKey> b) {
    if (a.isEmpty() || b.isEmpty()) {
      return false;
    }
    java.util.Set<PortKey> seen = new java.util.HashSet<>(a);
    return b.stream().noneMatch(seen::contains);
  }

  /** Parses {@code TCP/80}, the form {@link #toString()} prints. */
  public static PortKey parse(String text) {
    int slash = text.indexOf('/');
    if (slash <= 0) {
      throw new IllegalArgumentException("not protocol/port: " + text);
    }
    return new PortKey(text.substring(0, slash), Integer.parseInt(text.substring(slash + 1)));
  }

  @Override
  public String toString() {
    return protocol + "/" + port;
  }
}
