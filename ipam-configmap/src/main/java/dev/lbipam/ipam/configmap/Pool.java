package dev.lbipam.ipam.configmap;

import dev.lbipam.ipam.spi.net.IpFamily;
import dev.lbipam.ipam.spi.net.IpRange;
import java.util.List;
import java.util.Objects;

/**
 * One parsed pool.
 *
 * @param key the ConfigMap key it came from, e.g. {@code cidr-global}
 * @param scope the namespace part of the key, or {@code global}
 * @param canonical the value in canonical form (merged, minimal), for messages
 * @param blocks the address blocks to search, ascending, after skip-end; both families
 * @param dhcp the value was exactly {@code 0.0.0.0/32}: every Service gets 0.0.0.0
 */
public record Pool(String key, String scope, PoolKind kind, String canonical, List<IpRange> blocks, boolean dhcp) {
  public Pool {
    Objects.requireNonNull(key, "key");
    blocks = List.copyOf(blocks);
  }

  public List<IpRange> blocks(IpFamily family) {
    return blocks.stream().filter(b -> b.family() == family).toList();
  }

  public boolean has(IpFamily family) {
    return blocks.stream().anyMatch(b -> b.family() == family);
  }
}
