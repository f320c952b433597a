package dev.lbipam.ipam.configmap;

import dev.lbipam.ipam.spi.KubeVipConventions;
import dev.lbipam.ipam.configmap.KubeVipConfig.PoolSelection;
import dev.lbipam.ipam.spi.AllocationOutcome;
import dev.lbipam.ipam.spi.AllocationOutcome.Allocated;
import dev.lbipam.ipam.spi.AllocationOutcome.Rejected;
import dev.lbipam.ipam.spi.AllocationRequest;
import dev.lbipam.ipam.spi.FamilyPolicy;
import dev.lbipam.ipam.spi.Holding;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.RejectReason;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpFamily;
import dev.lbipam.ipam.spi.net.IpRange;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The allocation decision: {@code (pool config, addresses in use, request) -> outcome}. Pure: it
 * reads the book and never changes it; the backend records an {@link Allocated} outcome.
 */
public final class Allocator {
  static final String NO_POOLS = "no address pools could be found";
  static final String NO_FAMILY_POOL = "could not find suitable pool for the IP family of the service";
  static final String NO_DUAL_POOLS =
      "service requires dual-stack, but the configuration does not have both IPv4 and IPv6 pools";

  private Allocator() {}

  public static AllocationOutcome decide(KubeVipConfig config, AddressBook book, AllocationRequest request) {
    OwnerRef owner = request.owner();
    Optional<Holding> existing = book.holding(owner);
    Optional<String> serviceInterface = config.serviceInterface(owner.namespace());
    PoolSelection selection = config.select(owner.namespace());
    if (existing.isPresent()) {
      String pool = selection instanceof PoolSelection.Found found ? found.pool().key() : "existing";
      return new Allocated(existing.get().addresses(), pool, serviceInterface, List.of(),
          shareable(config, request, existing.get().addresses()));
    }
    if (selection instanceof PoolSelection.None) {
      return new Rejected(RejectReason.NO_POOL, NO_POOLS + " for namespace " + owner.namespace());
    }
    if (selection instanceof PoolSelection.Invalid invalid) {
      return new Rejected(RejectReason.INVALID_CONFIG, "invalid pool configuration: " + invalid.problem());
    }
    Pool pool = ((PoolSelection.Found) selection).pool();
    if (pool.dhcp()) {
      return new Allocated(List.of(KubeVipConventions.DHCP_PLACEHOLDER), pool.key(), serviceInterface, List.of());
    }
    boolean share = config.sharingAllowed(owner.namespace());
    if (request.policy() == FamilyPolicy.SINGLE_STACK) {
      IpFamily family = singleStackFamily(request, pool);
      if (!pool.has(family)) {
        return new Rejected(RejectReason.NO_POOL, NO_FAMILY_POOL + " (" + family.kubernetesName() + ", " + pool.key() + ")");
      }
      Optional<IpAddress> address = pick(config, book, request, pool, family, share);
      return address
          .<AllocationOutcome>map(a -> new Allocated(List.of(a), pool.key(), serviceInterface, List.of(),
              shareable(config, request, List.of(a))))
          .orElseGet(() -> exhausted(pool, family));
    }
    IpFamily primary = request.families().isEmpty() ? IpFamily.IPV4 : request.families().get(0);
    IpFamily secondary = primary == IpFamily.IPV4 ? IpFamily.IPV6 : IpFamily.IPV4;
    boolean require = request.policy() == FamilyPolicy.REQUIRE_DUAL_STACK;
    if (require && (!pool.has(primary) || !pool.has(secondary))) {
      return new Rejected(RejectReason.NO_POOL, NO_DUAL_POOLS + " (" + pool.key() + ")");
    }
    List<IpAddress> addresses = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    Rejected firstFailure = null;
    for (IpFamily family : List.of(primary, secondary)) {
      if (!pool.has(family)) {
        Rejected missing = new Rejected(RejectReason.NO_POOL, NO_FAMILY_POOL + " (" + family.kubernetesName() + ", " + pool.key() + ")");
        firstFailure = firstFailure == null ? missing : firstFailure;
        notes.add("PreferDualStack: no " + family.kubernetesName() + " pool in " + pool.key());
        continue;
      }
      Optional<IpAddress> address = pick(config, book, request, pool, family, share);
      if (address.isPresent()) {
        addresses.add(address.get());
      } else if (require) {
        return exhausted(pool, family);
      } else {
        Rejected full = exhausted(pool, family);
        firstFailure = firstFailure == null ? full : firstFailure;
        notes.add("PreferDualStack: " + full.message());
      }
    }
    if (addresses.isEmpty()) {
      return firstFailure;
    }
    return new Allocated(addresses, pool.key(), serviceInterface, notes, shareable(config, request, addresses));
  }

  /**
   * The addresses this Service may hold together with others whose ports don't clash: its IPv4
   * addresses when {@code allow-share} applies to its namespace and it names ports. Whichever of
   * two sharers decided first, both may then record the joint holding.
   */
  private static Set<IpAddress> shareable(KubeVipConfig config, AllocationRequest request, List<IpAddress> addresses) {
    if (!config.sharingAllowed(request.owner().namespace()) || request.ports().isEmpty()) {
      return Set.of();
    }
    return addresses.stream().filter(IpAddress::isIpv4).collect(java.util.stream.Collectors.toSet());
  }

  private static IpFamily singleStackFamily(AllocationRequest request, Pool pool) {
    if (!request.families().isEmpty()) {
      return request.families().get(0);
    }
    return pool.has(IpFamily.IPV4) || !pool.has(IpFamily.IPV6) ? IpFamily.IPV4 : IpFamily.IPV6;
  }

  private static Optional<IpAddress> pick(
      KubeVipConfig config, AddressBook book, AllocationRequest request, Pool pool, IpFamily family, boolean share) {
    List<IpRange> blocks = new ArrayList<>(pool.blocks(family));
    if (config.descending()) {
      java.util.Collections.reverse(blocks);
    }
    if (share && family == IpFamily.IPV4 && !request.ports().isEmpty()) {
      Optional<IpAddress> shared = shareable(config, book, request, blocks);
      if (shared.isPresent()) {
        return shared;
      }
    }
    for (IpRange block : blocks) {
      Optional<IpAddress> free = config.descending() ? book.highestFree(block) : book.lowestFree(block);
      if (free.isPresent()) {
        return free;
      }
    }
    return Optional.empty();
  }

  /**
   * The lowest (or highest, with desc) held address in the pool whose holders are all managed by us
   * and whose ports don't clash. An address held by a Service we don't manage (another load
   * balancer, another class) is never shared: kube-vip only ever shares with its own Services.
   */
  private static Optional<IpAddress> shareable(
      KubeVipConfig config, AddressBook book, AllocationRequest request, List<IpRange> blocks) {
    for (IpRange block : blocks) {
      var held = book.heldWithin(block);
      var ordered = config.descending() ? held.descendingMap() : held;
      for (Map.Entry<IpAddress, Set<OwnerRef>> entry : ordered.entrySet()) {
        if (!KubeVipAllocatable.INSTANCE.isAllocatable(entry.getKey())) {
          continue;
        }
        if (book.canJoin(entry.getKey(), request.ports())) {
          return Optional.of(entry.getKey());
        }
      }
    }
    return Optional.empty();
  }

  private static Rejected exhausted(Pool pool, IpFamily family) {
    return new Rejected(
        RejectReason.POOL_EXHAUSTED,
        "no addresses available in [" + pool.scope() + "] " + pool.kind().word() + " [" + pool.canonical() + "] for "
            + family.kubernetesName());
  }
}
