package dev.lbipam.ipam.spi.net;

import java.math.BigInteger;

/** An IP address family, with the bit width and largest value of its addresses. */
public enum IpFamily {
  IPV4(32),
  IPV6(128);

  private final int bits;
  private final BigInteger maxValue;

  IpFamily(int bits) {
    this.bits = bits;
    this.maxValue = BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE);
  }

  public int bits() {
    return bits;
  }

  public BigInteger maxValue() {
    return maxValue;
  }

  /** The Kubernetes spelling: {@code IPv4} or {@code IPv6}. */
  public String kubernetesName() {
    return this == IPV4 ? "IPv4" : "IPv6";
  }

  /** Parses {@code IPv4}/{@code IPv6} (case-insensitive); throws {@link IllegalArgumentException}. */
  public static IpFamily fromKubernetesName(String name) {
    if ("ipv4".equalsIgnoreCase(name)) {
      return IPV4;
    }
    if ("ipv6".equalsIgnoreCase(name)) {
      return IPV6;
    }
    throw new IllegalArgumentException("unknown IP family: " + name);
  }
}
