package dev.lbipam.ipam.configmap;

import dev.lbipam.ipam.spi.KubeVipConventions;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.configmap.KubeVipConfig.PoolSelection;
import dev.lbipam.ipam.spi.AllocationOutcome;
import dev.lbipam.ipam.spi.AllocationOutcome.Allocated;
import dev.lbipam.ipam.spi.AllocationOutcome.Rejected;
import dev.lbipam.ipam.spi.AllocationRequest;
import dev.lbipam.ipam.spi.FamilyPolicy;
import dev.lbipam.ipam.spi.HoldOutcome;
import dev.lbipam.ipam.spi.Holding;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.PoolStats;
import dev.lbipam.ipam.spi.PortKey;
import dev.lbipam.ipam.spi.RejectReason;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpFamily;
import dev.lbipam.ipam.spi.net.IpRange;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/**
 * Random allocate/release/hold/configure sequences against {@link ConfigMapBackend}, checked after
 * every step against a brute-force model: a map of owner to holding, and pools enumerated address
 * by address.
 */
class ConfigMapBackendPropertyTest {

  static final List<Map<String, String>> SETUPS =
      List.of(
          Map.of("range-global", "10.0.0.250-10.0.1.5,2001:db8::1-2001:db8::4"),
          Map.of("cidr-global", "10.0.0.248/29,10.0.1.0/30,2001:db8::/126", "skip-end-ips-in-cidr", "true"),
          Map.of("cidr-global", "10.0.0.248/29,10.0.1.0/30,2001:db8::/126", "search-order", "desc"),
          Map.of("cidr-a", "10.0.0.252/30,2001:db8::/127", "range-global", "10.0.0.250-10.0.1.3,2001:db8::1-2001:db8::3"),
          Map.of("range-global", "10.0.0.1-10.0.0.3,10.0.0.254-10.0.1.2"),
          Map.of("cidr-b", "2001:db8::/126", "range-global", "10.0.1.1-10.0.1.4", "search-order", "desc"));

  static final List<String> HOLDABLE =
      List.of("10.0.0.250", "10.0.0.252", "10.0.0.254", "10.0.0.255", "10.0.1.0", "10.0.1.1", "10.0.1.2",
          "192.168.0.1", "2001:db8::1", "2001:db8::2", "2001:db8::9", "0.0.0.0");

  static final List<PortKey> PORTS =
      List.of(new PortKey("TCP", 80), new PortKey("TCP", 443), new PortKey("UDP", 53), new PortKey("TCP", 53));

  static final int OWNERS = 8;

  sealed interface Op {}

  record AllocateOp(int owner, int shape, List<PortKey> ports) implements Op {}

  record ReleaseOp(int owner) implements Op {}

  record HoldOp(int owner, List<String> addresses, List<PortKey> ports, boolean managed) implements Op {}

  record ConfigureOp(int setup) implements Op {}

  /** The (policy, ipFamilies) shapes a request may take. */
  static final List<FamilyPolicy> POLICIES =
      List.of(
          FamilyPolicy.SINGLE_STACK, FamilyPolicy.SINGLE_STACK, FamilyPolicy.SINGLE_STACK,
          FamilyPolicy.PREFER_DUAL_STACK, FamilyPolicy.PREFER_DUAL_STACK, FamilyPolicy.PREFER_DUAL_STACK,
          FamilyPolicy.REQUIRE_DUAL_STACK, FamilyPolicy.REQUIRE_DUAL_STACK, FamilyPolicy.REQUIRE_DUAL_STACK);

  static final List<List<IpFamily>> FAMILIES =
      List.of(
          List.of(), List.of(IpFamily.IPV4), List.of(IpFamily.IPV6),
          List.of(), List.of(IpFamily.IPV4, IpFamily.IPV6), List.of(IpFamily.IPV6, IpFamily.IPV4),
          List.of(), List.of(IpFamily.IPV4, IpFamily.IPV6), List.of(IpFamily.IPV6, IpFamily.IPV4));

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<Integer> owner = Arbitraries.integers().between(0, OWNERS - 1);
    Arbitrary<List<PortKey>> ports = Arbitraries.of(PORTS).list().uniqueElements().ofMaxSize(2);
    Arbitrary<Op> allocate =
        Combinators.combine(owner, Arbitraries.integers().between(0, POLICIES.size() - 1), ports).as(AllocateOp::new);
    Arbitrary<Op> release = owner.map(ReleaseOp::new);
    Arbitrary<Op> hold =
        Combinators.combine(owner, Arbitraries.of(HOLDABLE).list().ofMaxSize(2), ports, Arbitraries.of(true, false))
            .as(HoldOp::new);
    Arbitrary<Op> configure = Arbitraries.integers().between(0, SETUPS.size() - 1).map(ConfigureOp::new);
    return Arbitraries.frequencyOf(Tuple.of(8, allocate), Tuple.of(3, release), Tuple.of(2, hold), Tuple.of(1, configure))
        .list()
        .ofMaxSize(45);
  }

  @Property(tries = 400)
  void neverHandsOutAnAddressTwiceWithoutSharing(
      @ForAll @IntRange(max = 5) int setup, @ForAll("ops") List<Op> ops) {
    new Run(false).play(setup, ops);
  }

  @Property(tries = 400)
  void sharesOnlyManagedIpv4AddressesWhosePortsDoNotClash(
      @ForAll @IntRange(max = 5) int setup, @ForAll("ops") List<Op> ops) {
    new Run(true).play(setup, ops);
  }

  /** One sequence: the backend under test and the model it must agree with. */
  static final class Run {
    private final boolean sharingOn;
    private final ConfigMapBackend backend = new ConfigMapBackend();
    private final Map<OwnerRef, Holding> model = new LinkedHashMap<>();
    private Map<String, String> data;
    private KubeVipConfig config;

    Run(boolean sharingOn) {
      this.sharingOn = sharingOn;
    }

    void play(int setup, List<Op> ops) {
      configure(setup);
      int step = 0;
      for (Op op : ops) {
        step++;
        String where = "step " + step + " " + op + " with " + data;
        if (op instanceof AllocateOp allocate) {
          allocate(allocate, where);
        } else if (op instanceof ReleaseOp release) {
          backend.release(owner(release.owner()));
          model.remove(owner(release.owner()));
        } else if (op instanceof HoldOp hold) {
          hold(hold, where);
        } else if (op instanceof ConfigureOp configure) {
          configure(configure.setup());
        }
        assertThat(backend.holdings()).as(where).containsExactlyInAnyOrderElementsOf(model.values());
        checkPoolStats(where);
      }
    }

    private void configure(int setup) {
      data = new HashMap<>(SETUPS.get(setup));
      if (sharingOn) {
        data.put("allow-share-global", "true");
        data.put("allow-share-b", "false");
      }
      config = KubeVipConfig.parse(data);
      assertThat(backend.configure(Optional.of(data))).isEmpty();
    }

    private void allocate(AllocateOp op, String where) {
      OwnerRef owner = owner(op.owner());
      AllocationRequest request =
          new AllocationRequest(owner, FAMILIES.get(op.shape()), POLICIES.get(op.shape()), op.ports());
      Holding before = model.get(owner);

      AllocationOutcome outcome = backend.allocate(request);

      if (before != null) {
        assertThat(outcome).as(where).isInstanceOf(Allocated.class);
        assertThat(((Allocated) outcome).addresses()).as(where + ": idempotent").isEqualTo(before.addresses());
        return;
      }
      Object expected = expect(request);
      if (expected instanceof RejectReason reason) {
        assertThat(outcome).as(where).isInstanceOf(Rejected.class);
        assertThat(((Rejected) outcome).reason()).as(where + ": " + outcome).isEqualTo(reason);
        return;
      }
      assertThat(outcome).as(where).isInstanceOf(Allocated.class);
      List<IpAddress> addresses = ((Allocated) outcome).addresses();
      assertThat(addresses).as(where).isEqualTo(expected);
      Pool pool = pool(owner.namespace());
      for (IpAddress address : addresses) {
        assertThat(inPool(pool, address)).as(where + ": %s is in the pool", address).isTrue();
        assertThat(allocatable(address)).as(where + ": %s is allocatable", address).isTrue();
        Set<OwnerRef> others = holders(address);
        if (!others.isEmpty()) {
          assertThat(sharingOn && config.sharingAllowed(owner.namespace())).as(where + ": %s shared", address).isTrue();
          assertThat(address.isIpv4()).as(where + ": only IPv4 is shared").isTrue();
          assertThat(others).allSatisfy(o -> assertThat(model.get(o).managed()).isTrue());
          assertThat(others).allSatisfy(o -> assertThat(compatible(model.get(o).ports(), op.ports())).isTrue());
        }
      }
      assertThat(addresses.stream().map(IpAddress::family).distinct().count()).isEqualTo(addresses.size());
      model.put(owner, new Holding(owner, addresses, op.ports(), true));
    }

    private void hold(HoldOp op, String where) {
      OwnerRef owner = owner(op.owner());
      List<IpAddress> addresses = op.addresses().stream().map(IpAddress::parse).toList();
      Holding holding = new Holding(owner, addresses, op.ports(), op.managed());
      model.remove(owner);
      boolean clash = false;
      for (IpAddress address : new HashSet<>(addresses)) {
        if (!KubeVipConventions.isDhcpPlaceholder(address)) {
          // One sharing rule (Holding.canShareWith): sharers are both ours and their ports compatible.
          clash |= holders(address).stream()
              .anyMatch(o -> !(model.get(o).managed() && op.managed() && compatible(model.get(o).ports(), op.ports())));
        }
      }

      HoldOutcome outcome = backend.hold(holding);

      assertThat(outcome).as(where).isInstanceOf(clash ? HoldOutcome.Conflicted.class : HoldOutcome.Held.class);
      if (!addresses.isEmpty()) {
        model.put(owner, holding);
      }
    }

    /** The reference decision for an owner that holds nothing: a list of addresses, or a RejectReason. */
    private Object expect(AllocationRequest request) {
      PoolSelection selection = config.select(request.owner().namespace());
      if (!(selection instanceof PoolSelection.Found found)) {
        return RejectReason.NO_POOL;
      }
      Pool pool = found.pool();
      boolean share = config.sharingAllowed(request.owner().namespace());
      if (request.policy() == FamilyPolicy.SINGLE_STACK) {
        IpFamily family =
            !request.families().isEmpty()
                ? request.families().get(0)
                : has(pool, IpFamily.IPV4) || !has(pool, IpFamily.IPV6) ? IpFamily.IPV4 : IpFamily.IPV6;
        if (!has(pool, family)) {
          return RejectReason.NO_POOL;
        }
        Optional<IpAddress> pick = pick(pool, family, share, request.ports());
        return pick.<Object>map(List::of).orElse(RejectReason.POOL_EXHAUSTED);
      }
      IpFamily primary = request.families().isEmpty() ? IpFamily.IPV4 : request.families().get(0);
      IpFamily secondary = primary == IpFamily.IPV4 ? IpFamily.IPV6 : IpFamily.IPV4;
      boolean require = request.policy() == FamilyPolicy.REQUIRE_DUAL_STACK;
      if (require && !(has(pool, primary) && has(pool, secondary))) {
        return RejectReason.NO_POOL;
      }
      List<IpAddress> addresses = new ArrayList<>();
      RejectReason firstFailure = null;
      for (IpFamily family : List.of(primary, secondary)) {
        if (!has(pool, family)) {
          firstFailure = firstFailure == null ? RejectReason.NO_POOL : firstFailure;
          continue;
        }
        Optional<IpAddress> pick = pick(pool, family, share, request.ports());
        if (pick.isPresent()) {
          addresses.add(pick.get());
        } else if (require) {
          return RejectReason.POOL_EXHAUSTED;
        } else {
          firstFailure = firstFailure == null ? RejectReason.POOL_EXHAUSTED : firstFailure;
        }
      }
      return addresses.isEmpty() ? firstFailure : addresses;
    }

    /** Brute force: walk every address of the pool in search order. */
    private Optional<IpAddress> pick(Pool pool, IpFamily family, boolean share, List<PortKey> ports) {
      List<IpAddress> order = new ArrayList<>(allocatableAddresses(pool, family));
      if (config.descending()) {
        Collections.reverse(order);
      }
      if (share && family == IpFamily.IPV4 && !ports.isEmpty()) {
        for (IpAddress address : order) {
          Set<OwnerRef> others = holders(address);
          if (!others.isEmpty()
              && others.stream().allMatch(o -> model.get(o).managed() && compatible(model.get(o).ports(), ports))) {
            return Optional.of(address);
          }
        }
      }
      return order.stream().filter(a -> holders(a).isEmpty()).findFirst();
    }

    private void checkPoolStats(String where) {
      List<PoolStats> stats = backend.poolStats();
      Set<String> expectedKeys = new HashSet<>();
      for (Pool pool : config.pools().values()) {
        for (IpFamily family : IpFamily.values()) {
          if (has(pool, family)) {
            expectedKeys.add(pool.key() + "/" + family);
          }
        }
      }
      assertThat(stats).as(where).map(s -> s.pool() + "/" + s.family()).containsExactlyInAnyOrderElementsOf(expectedKeys);
      for (PoolStats stat : stats) {
        List<IpAddress> addresses = allocatableAddresses(config.pools().get(stat.pool()), stat.family());
        long used = addresses.stream().filter(a -> !holders(a).isEmpty()).count();
        long free = addresses.stream().filter(a -> holders(a).isEmpty()).count();
        assertThat(stat.size()).as(where + ": size of " + stat).isEqualTo(BigInteger.valueOf(addresses.size()));
        assertThat(stat.inUse()).as(where + ": used in " + stat).isEqualTo(used);
        assertThat(BigInteger.valueOf(stat.inUse() + free)).as(where + ": used + free of " + stat).isEqualTo(stat.size());
      }
    }

    private Pool pool(String namespace) {
      return ((PoolSelection.Found) config.select(namespace)).pool();
    }

    private Set<OwnerRef> holders(IpAddress address) {
      Set<OwnerRef> holders = new HashSet<>();
      model.forEach((owner, holding) -> {
        if (holding.addresses().contains(address)) {
          holders.add(owner);
        }
      });
      return holders;
    }
  }

  static OwnerRef owner(int index) {
    String namespace = index % 2 == 0 ? "a" : "b";
    return new OwnerRef("test-cluster", namespace, "s" + index, "uid-" + index);
  }

  static boolean has(Pool pool, IpFamily family) {
    return pool.blocks().stream().anyMatch(b -> b.family() == family);
  }

  static boolean inPool(Pool pool, IpAddress address) {
    return pool.blocks().stream().anyMatch(b -> b.contains(address));
  }

  /** The kube-vip rule, written out: IPv4 addresses ending in .0 or .255 are never handed out. */
  static boolean allocatable(IpAddress address) {
    return !address.isIpv4() || (address.lastOctet() != 0 && address.lastOctet() != 255);
  }

  static List<IpAddress> allocatableAddresses(Pool pool, IpFamily family) {
    List<IpAddress> addresses = new ArrayList<>();
    for (IpRange block : pool.blocks()) {
      if (block.family() != family) {
        continue;
      }
      for (IpAddress a = block.first(); a != null && a.compareTo(block.last()) <= 0; a = a.plus(1)) {
        if (allocatable(a)) {
          addresses.add(a);
        }
      }
    }
    return addresses;
  }

  /** Both name ports and no (protocol, port) is on both. */
  static boolean compatible(List<PortKey> a, List<PortKey> b) {
    return !a.isEmpty() && !b.isEmpty() && a.stream().noneMatch(b::contains);
  }
}
