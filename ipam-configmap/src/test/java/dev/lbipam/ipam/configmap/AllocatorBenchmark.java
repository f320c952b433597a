package dev.lbipam.ipam.configmap;

import dev.lbipam.ipam.spi.AllocationOutcome;
import dev.lbipam.ipam.spi.AllocationRequest;
import dev.lbipam.ipam.spi.FamilyPolicy;
import dev.lbipam.ipam.spi.Holding;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.PortKey;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpFamily;
import dev.lbipam.ipam.spi.net.IpPrefix;
import dev.lbipam.ipam.spi.net.IpRange;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * JMH benchmarks of the ConfigMap backend's allocation path with many addresses already in use.
 * See docs/benchmarks.md for the command and the figures.
 *
 * <ul>
 *   <li>{@link #allocateRelease}: {@link ConfigMapBackend#allocate} of one new Service, then {@link
 *       ConfigMapBackend#release} of it, so every operation is a fresh decision and the book returns
 *       to the same state. This is what one reconcile of a new Service costs in the backend.
 *   <li>{@link #decide}: only {@link Allocator#decide}, the pure decision (pool selection and the
 *       O(log n) free-address search), without recording the result.
 *   <li>{@link #allocateReleaseAllowShare}: the same as {@link #allocateRelease} (IPv4, ascending,
 *       contiguous) with {@code allow-share-global: "true"} and every holder on the same port as the
 *       probe, so no address can be shared and the backend falls back to a fresh one. {@code
 *       Allocator.shareable} looks at every held address of the pool before giving up, so this one
 *       is O(inUse) per allocation, not O(log inUse).
 * </ul>
 *
 * <p>Parameters: {@code inUse} addresses already held; {@code family} ipv4 (pool {@value #IPV4_POOL})
 * or ipv6 (pool {@value #IPV6_POOL}); {@code order} asc or {@code search-order: desc}; {@code
 * layout} contiguous (set up by allocating {@code inUse} owners, so the used addresses form one run
 * at the searched end of the pool) or fragmented (set up with holdings of every other allocatable
 * address from the searched end, so that no two used addresses merge into a run: {@code inUse} runs
 * in the index instead of one).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class AllocatorBenchmark {
  static final String IPV4_POOL = "10.0.0.0/14";
  static final String IPV6_POOL = "fd00:1:2:3::/64";
  static final String CLUSTER = "bench";
  static final String NAMESPACE = "bench";
  static final List<PortKey> PORTS = List.of(new PortKey("TCP", 80));

  /** A pool with {@code inUse} addresses held, and one probe request for a Service that holds none. */
  @State(Scope.Thread)
  public static class Filled {
    @Param({"10000", "100000"})
    public int inUse;

    @Param({"ipv4", "ipv6"})
    public String family;

    @Param({"asc", "desc"})
    public String order;

    @Param({"contiguous", "fragmented"})
    public String layout;

    ConfigMapBackend backend;
    KubeVipConfig config;
    AddressBook book;
    AllocationRequest probe;

    @Setup(Level.Trial)
    public void setUp() {
      IpFamily ipFamily = family(family);
      Map<String, String> data = poolData(ipFamily, order, false);
      backend = new ConfigMapBackend();
      if (!backend.configure(Optional.of(data)).isEmpty()) {
        throw new IllegalStateException("bad pool config " + data);
      }
      config = KubeVipConfig.parse(data);
      book = new AddressBook();
      IpRange pool = IpPrefix.parse(ipFamily == IpFamily.IPV4 ? IPV4_POOL : IPV6_POOL).toRange();
      fill(backend, book, ipFamily, pool, order, layout, inUse);
      probe = request(owner("probe"), ipFamily);
      AllocationOutcome first = backend.allocate(probe);
      if (!(first instanceof AllocationOutcome.Allocated allocated)) {
        throw new IllegalStateException("probe not allocated: " + first);
      }
      backend.release(probe.owner());
      if (!(Allocator.decide(config, book, probe) instanceof AllocationOutcome.Allocated decided)
          || !decided.addresses().equals(allocated.addresses())) {
        throw new IllegalStateException("backend and copied book disagree");
      }
      System.out.printf("%n[setup] %s %s %s inUse=%d: the probe gets %s%n",
          family, order, layout, inUse, allocated.addresses().get(0));
    }
  }

  /** IPv4, ascending, contiguous, sharing allowed, every holder on TCP/80 like the probe. */
  @State(Scope.Thread)
  public static class FilledSharing {
    @Param({"10000", "100000"})
    public int inUse;

    ConfigMapBackend backend;
    AllocationRequest probe;

    @Setup(Level.Trial)
    public void setUp() {
      Map<String, String> data = poolData(IpFamily.IPV4, "asc", true);
      backend = new ConfigMapBackend();
      backend.configure(Optional.of(data));
      // Held, not allocated: with sharing on, each allocation scans every held address (see the
      // class comment), so allocating inUse owners would take O(inUse^2).
      IpAddress address = IpPrefix.parse(IPV4_POOL).toRange().first();
      for (int held = 0; held < inUse; address = address.plus(1)) {
        if (KubeVipAllocatable.INSTANCE.isAllocatable(address)) {
          backend.hold(new Holding(owner("svc-" + held), List.of(address), PORTS, true));
          held++;
        }
      }
      probe = request(owner("probe"), IpFamily.IPV4);
      AllocationOutcome first = backend.allocate(probe);
      if (!(first instanceof AllocationOutcome.Allocated)) {
        throw new IllegalStateException("probe not allocated: " + first);
      }
      backend.release(probe.owner());
    }
  }

  @Benchmark
  public void allocateRelease(Filled state, Blackhole bh) {
    bh.consume(state.backend.allocate(state.probe));
    state.backend.release(state.probe.owner());
  }

  @Benchmark
  public AllocationOutcome decide(Filled state) {
    return Allocator.decide(state.config, state.book, state.probe);
  }

  @Benchmark
  public void allocateReleaseAllowShare(FilledSharing state, Blackhole bh) {
    bh.consume(state.backend.allocate(state.probe));
    state.backend.release(state.probe.owner());
  }

  // ---------------------------------------------------------------------------------------------

  static IpFamily family(String name) {
    return switch (name) {
      case "ipv4" -> IpFamily.IPV4;
      case "ipv6" -> IpFamily.IPV6;
      default -> throw new IllegalArgumentException("family: " + name);
    };
  }

  static Map<String, String> poolData(IpFamily family, String order, boolean share) {
    Map<String, String> data = new HashMap<>();
    data.put("cidr-global", family == IpFamily.IPV4 ? IPV4_POOL : IPV6_POOL);
    if ("desc".equals(order)) {
      data.put("search-order", "desc");
    } else if (!"asc".equals(order)) {
      throw new IllegalArgumentException("order: " + order);
    }
    if (share) {
      data.put("allow-share-global", "true");
    }
    return data;
  }

  static OwnerRef owner(String name) {
    return new OwnerRef(CLUSTER, NAMESPACE, name, "uid-" + name);
  }

  static AllocationRequest request(OwnerRef owner, IpFamily family) {
    return new AllocationRequest(owner, List.of(family), FamilyPolicy.SINGLE_STACK, PORTS);
  }

  /**
   * Puts {@code inUse} holders into {@code backend} and the same holdings into {@code copy}.
   * Contiguous: the backend allocates them (so they are exactly what it would hand out).
   * Fragmented: every other allocatable address, starting at the end the search starts from.
   */
  static void fill(
      ConfigMapBackend backend, AddressBook copy, IpFamily family, IpRange pool, String order, String layout, int inUse) {
    boolean desc = "desc".equals(order);
    switch (layout) {
      case "contiguous" -> {
        for (int i = 0; i < inUse; i++) {
          AllocationRequest request = request(owner("svc-" + i), family);
          AllocationOutcome outcome = backend.allocate(request);
          if (!(outcome instanceof AllocationOutcome.Allocated allocated)) {
            throw new IllegalStateException("setup allocation " + i + " failed: " + outcome);
          }
          copy.put(new Holding(request.owner(), allocated.addresses(), PORTS, true));
        }
      }
      case "fragmented" -> {
        IpAddress address = desc ? pool.last() : pool.first();
        int step = desc ? -1 : 1;
        boolean take = true;
        int held = 0;
        while (held < inUse) {
          if (address == null || !pool.contains(address)) {
            throw new IllegalStateException("pool too small for " + inUse + " fragmented holdings");
          }
          if (KubeVipAllocatable.INSTANCE.isAllocatable(address)) {
            if (take) {
              Holding holding = new Holding(owner("svc-" + held), List.of(address), PORTS, true);
              backend.hold(holding);
              copy.put(holding);
              held++;
            }
            take = !take;
          }
          address = address.plus(step);
        }
      }
      default -> throw new IllegalArgumentException("layout: " + layout);
    }
  }
}
