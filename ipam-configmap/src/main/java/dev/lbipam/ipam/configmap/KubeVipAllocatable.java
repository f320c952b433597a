package dev.lbipam.ipam.configmap;

import dev.lbipam.ipam.spi.net.AllocatableFilter;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpRange;
import java.math.BigInteger;

/**
 * kube-vip never hands out an IPv4 address whose last octet is 0 or 255, in any pool, CIDR or
 * range, whatever its length. IPv6 has no such rule, but the unspecified address {@code ::} is
 * never handed out either (kube-vip would give it for a pool {@code ::/0}; no host can use it).
 */
public final class KubeVipAllocatable implements AllocatableFilter {
  public static final KubeVipAllocatable INSTANCE = new KubeVipAllocatable();
  private static final BigInteger OCTET = BigInteger.valueOf(256);

  private KubeVipAllocatable() {}

  @Override
  public IpAddress atOrAfter(IpAddress address) {
    if (!address.isIpv4()) {
      return address.isUnspecified() ? address.plus(1) : address;
    }
    return switch (address.lastOctet()) {
      case 0 -> address.plus(1);
      case 255 -> address.plus(2);
      default -> address;
    };
  }

  @Override
  public IpAddress atOrBefore(IpAddress address) {
    if (!address.isIpv4()) {
      return address.isUnspecified() ? null : address;
    }
    return switch (address.lastOctet()) {
      case 0 -> address.plus(-2);
      case 255 -> address.plus(-1);
      default -> address;
    };
  }

  @Override
  public BigInteger countAllocatable(IpRange range) {
    if (range.family() != dev.lbipam.ipam.spi.net.IpFamily.IPV4) {
      return range.first().isUnspecified() ? range.size().subtract(BigInteger.ONE) : range.size();
    }
    BigInteger excluded =
        excludedUpTo(range.last().value()).subtract(excludedUpTo(range.first().value().subtract(BigInteger.ONE)));
    return range.size().subtract(excluded);
  }

  /** Count of addresses in [0, v] ending in .0 or .255; zero for v &lt; 0. */
  private static BigInteger excludedUpTo(BigInteger v) {
    if (v.signum() < 0) {
      return BigInteger.ZERO;
    }
    BigInteger endingInZero = v.divide(OCTET).add(BigInteger.ONE);
    BigInteger endingIn255 = v.add(BigInteger.ONE).divide(OCTET);
    return endingInZero.add(endingIn255);
  }
}
