package dev.lbipam.ipam.netbox;

import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpFamily;
import dev.lbipam.ipam.spi.net.IpRange;
import java.util.Optional;

/**
 * A prefix or IP range found in NetBox for a {@link PoolRef}.
 *
 * @param maskLength the mask NetBox gives addresses allocated from it
 * @param span the addresses it covers (NetBox decides which of them are free)
 */
public record NetBoxPool(PoolRef.Kind kind, long id, IpFamily family, Optional<Long> vrfId, int maskLength, IpRange span) {

  public boolean contains(IpAddress address) {
    return span.contains(address);
  }

  @Override
  public String toString() {
    String text = kind == PoolRef.Kind.PREFIX ? span.first() + "/" + maskLength : span.toString();
    return kind.word() + " " + text + " (#" + id + vrfId.map(v -> ", vrf #" + v).orElse("") + ")";
  }
}
