package dev.lbipam.ipam.configmap;

import dev.lbipam.ipam.spi.KubeVipConventions;
import dev.lbipam.ipam.spi.HoldOutcome.Conflict;
import dev.lbipam.ipam.spi.Holding;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.PoolStats;
import dev.lbipam.ipam.spi.PortKey;
import dev.lbipam.ipam.spi.net.FreeAddressIndex;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpFamily;
import dev.lbipam.ipam.spi.net.IpRange;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Who holds which address in the cluster. Every holding counts, whoever manages the Service. The
 * DHCP placeholder 0.0.0.0 is remembered per owner but never counts as used. An IPv4-mapped IPv6
 * address and its IPv4 address are one host: holders are keyed by the IPv4 form and both spellings
 * count as used. Not thread-safe; the backend serialises access.
 */
public final class AddressBook {
  private final Map<OwnerRef, Holding> byOwner = new HashMap<>();
  private final TreeMap<IpAddress, Set<OwnerRef>> holders = new TreeMap<>();
  private final FreeAddressIndex index = new FreeAddressIndex(KubeVipAllocatable.INSTANCE);
  /** Per held address: how often each (protocol, port) is used on it, and how many holders forbid sharing. */
  private final Map<IpAddress, Use> uses = new HashMap<>();

  /** Sharing summary of one address, kept up to date by put and remove. */
  private static final class Use {
    final Map<PortKey, Integer> ports = new HashMap<>();
    int unshareableHolders;
  }

  public Optional<Holding> holding(OwnerRef owner) {
    return Optional.ofNullable(byOwner.get(owner));
  }

  public Collection<Holding> holdings() {
    return List.copyOf(byOwner.values());
  }

  public boolean isFree(IpAddress address) {
    return !holders.containsKey(address.unmapped());
  }

  public Optional<IpAddress> lowestFree(IpRange range) {
    return index.lowestFree(range);
  }

  public Optional<IpAddress> highestFree(IpRange range) {
    return index.highestFree(range);
  }

  public long usedWithin(IpRange range) {
    return index.usedWithin(range);
  }

  /** Held addresses inside {@code range}, ascending; O(log n + k). */
  public NavigableMap<IpAddress, Set<OwnerRef>> heldWithin(IpRange range) {
    return holders.subMap(range.first(), true, range.last(), true);
  }

  /**
   * Replaces what the owner holds. Returns the clashes with other owners; the holding is recorded
   * anyway, because an address that a Service already carries is never taken away from it.
   */
  public List<Conflict> put(Holding holding) {
    remove(holding.owner());
    if (holding.addresses().isEmpty()) {
      return List.of();
    }
    byOwner.put(holding.owner(), holding);
    List<Conflict> conflicts = new ArrayList<>();
    for (IpAddress shown : new LinkedHashSet<>(holding.addresses())) {
      if (KubeVipConventions.isDhcpPlaceholder(shown)) {
        continue;
      }
      IpAddress address = shown.unmapped();
      Set<OwnerRef> others = holders.computeIfAbsent(address, a -> new HashSet<>());
      for (OwnerRef other : others) {
        Holding theirs = byOwner.get(other);
        if (theirs == null || !holding.canShareWith(theirs)) {
          conflicts.add(
              new Conflict(
                  address.toString(),
                  other,
                  "address " + shown + " is also held by Service " + other.key() + " and their ports clash"));
        }
      }
      if (others.add(holding.owner())) {
        Use use = uses.computeIfAbsent(address, a -> new Use());
        if (!holding.managed() || holding.ports().isEmpty()) {
          use.unshareableHolders++;
        }
        for (PortKey port : new HashSet<>(holding.ports())) {
          use.ports.merge(port, 1, Integer::sum);
        }
      }
      index.markUsed(address);
      address.alias().ifPresent(index::markUsed);
    }
    return conflicts;
  }

  /** Frees what the owner holds. */
  public void remove(OwnerRef owner) {
    Holding old = byOwner.remove(owner);
    if (old == null) {
      return;
    }
    for (IpAddress shown : old.addresses()) {
      IpAddress address = shown.unmapped();
      Set<OwnerRef> others = holders.get(address);
      if (others == null) {
        continue;
      }
      if (others.remove(owner)) {
        Use use = uses.get(address);
        if (!old.managed() || old.ports().isEmpty()) {
          use.unshareableHolders--;
        }
        for (PortKey port : new HashSet<>(old.ports())) {
          use.ports.computeIfPresent(port, (p, n) -> n == 1 ? null : n - 1);
        }
      }
      if (others.isEmpty()) {
        holders.remove(address);
        uses.remove(address);
        index.markFree(address);
        address.alias().ifPresent(index::markFree);
      }
    }
  }

  /**
   * Whether a managed Service with these ports may join the current holders of a held address:
   * {@link Holding#canShareWith} against each of them, answered from the per-address summary (every
   * holder managed and naming ports, no (protocol, port) taken). O(ports), no allocation.
   */
  public boolean canJoin(IpAddress address, List<PortKey> ports) {
    Use use = uses.get(address.unmapped());
    if (use == null || use.unshareableHolders > 0 || ports.isEmpty()) {
      return false;
    }
    for (PortKey port : ports) {
      if (use.ports.containsKey(port)) {
        return false;
      }
    }
    return true;
  }

  /** Size and use of every pool of the configuration in each family, as this book sees them. */
  public List<PoolStats> poolStats(KubeVipConfig config) {
    List<PoolStats> stats = new ArrayList<>();
    for (Pool pool : config.pools().values()) {
      for (IpFamily family : IpFamily.values()) {
        List<IpRange> blocks = pool.blocks(family);
        if (blocks.isEmpty()) {
          continue;
        }
        BigInteger size = BigInteger.ZERO;
        long used = 0;
        for (IpRange block : blocks) {
          size = size.add(KubeVipAllocatable.INSTANCE.countAllocatable(block));
          used += index.usedWithin(block);
        }
        stats.add(new PoolStats(pool.key(), family, size, used));
      }
    }
    return stats;
  }
}
