package dev.lbipam.ipam.spi;

import dev.lbipam.ipam.spi.net.IpFamily;
import java.math.BigInteger;
import java.util.Objects;

/** Size and use of one pool in one family. Sizes are big integers because IPv6 pools are huge. */
public record PoolStats(String pool, IpFamily family, BigInteger size, long inUse) {
  public PoolStats {
    Objects.requireNonNull(pool, "pool");
    Objects.requireNonNull(family, "family");
    Objects.requireNonNull(size, "size");
  }
}
