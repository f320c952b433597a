package dev.lbipam.ipam.netbox;

import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpFamily;
import dev.lbipam.ipam.spi.net.IpRange;
import java.math.BigInteger;
import java.util.Optional;

/**
 * A prefix or IP range found in NetBox for a {@link PoolRef}.
 *
 * @param maskLength the mask NetBox gives addresses allocated from it
 * @param span the addresses it covers (NetBox decides which of them are free)
 * @param allAddresses a prefix's {@code is_pool}: its first (and IPv4 last) address may be allocated
 * @param markedPopulated a range's {@code mark_populated}: NetBox treats every address as used
 */
public record NetBoxPool(PoolRef.Kind kind, long id, IpFamily family, Optional<Long> vrfId, int maskLength, IpRange span,
    boolean allAddresses, boolean markedPopulated) {

  /**
   * How many addresses NetBox's {@code available-ips} can give out of it when none is used: a
   * prefix that is not a pool keeps its network address (IPv4 below /31) and broadcast address,
   * or its subnet-router anycast address (IPv6 below /127).
   */
  public BigInteger allocatableSize() {
    BigInteger size = span.size();
    if (kind != PoolRef.Kind.PREFIX || allAddresses) {
      return size;
    }
    if (family == IpFamily.IPV4 && maskLength < 31) {
      return size.subtract(BigInteger.TWO);
    }
    if (family == IpFamily.IPV6 && maskLength < 127) {
      return size.subtract(BigInteger.ONE);
    }
    return size;
  }

  public boolean contains(IpAddress address) {
    return span.contains(address);
  }

  @Override
  public String toString() {
    String text = kind == PoolRef.Kind.PREFIX ? span.first() + "/" + maskLength : span.toString();
    return kind.word() + " " + text + " (#" + id + vrfId.map(v -> ", vrf #" + v).orElse("") + ")";
  }
}
