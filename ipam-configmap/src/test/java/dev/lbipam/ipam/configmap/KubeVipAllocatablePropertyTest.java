package dev.lbipam.ipam.configmap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.spi.net.FreeAddressIndex;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpFamily;
import dev.lbipam.ipam.spi.net.IpRange;
import java.math.BigInteger;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/** {@link KubeVipAllocatable}, alone and driving a {@link FreeAddressIndex}, against brute force. */
class KubeVipAllocatablePropertyTest {
  private static final KubeVipAllocatable FILTER = KubeVipAllocatable.INSTANCE;
  private static final long MAX_V4 = 0xffffffffL;

  /** The rule itself, written without the filter: IPv4 last octet 0 or 255 is out. */
  static boolean allocatable(IpAddress address) {
    if (address.family() == IpFamily.IPV6) {
      return address.value().signum() != 0;
    }
    long last = address.value().longValueExact() & 0xff;
    return last != 0 && last != 255;
  }

  @Provide
  Arbitrary<Long> ipv4Values() {
    Arbitrary<Long> anywhere = Arbitraries.longs().between(0, MAX_V4);
    Arbitrary<Long> nearEdges =
        Combinators.combine(Arbitraries.of(0L, 256L, 0x0a000000L, MAX_V4 - 600), Arbitraries.longs().between(0, 600))
            .as(Long::sum);
    return Arbitraries.frequencyOf(Tuple.of(1, anywhere), Tuple.of(3, nearEdges));
  }

  @Property(tries = 1000)
  void countAllocatableMatchesBruteForce(@ForAll("ipv4Values") long start, @ForAll @IntRange(max = 2000) int length) {
    long end = Math.min(MAX_V4, start + length);
    IpRange range = new IpRange(IpAddress.of(IpFamily.IPV4, start), IpAddress.of(IpFamily.IPV4, end));
    long expected = 0;
    for (long v = start; v <= end; v++) {
      if (allocatable(IpAddress.of(IpFamily.IPV4, v))) {
        expected++;
      }
    }

    assertThat(FILTER.countAllocatable(range)).isEqualTo(BigInteger.valueOf(expected));
  }

  @Property(tries = 1000)
  void jumpsLandOnTheNearestAllocatableAddress(@ForAll("ipv4Values") long value) {
    IpAddress address = IpAddress.of(IpFamily.IPV4, value);
    IpAddress after = null;
    for (long v = value; v <= MAX_V4 && after == null; v++) {
      after = allocatable(IpAddress.of(IpFamily.IPV4, v)) ? IpAddress.of(IpFamily.IPV4, v) : null;
    }
    IpAddress before = null;
    for (long v = value; v >= 0 && before == null; v--) {
      before = allocatable(IpAddress.of(IpFamily.IPV4, v)) ? IpAddress.of(IpFamily.IPV4, v) : null;
    }

    assertThat(FILTER.isAllocatable(address)).isEqualTo(allocatable(address));
    assertThat(FILTER.atOrAfter(address)).isEqualTo(after);
    assertThat(FILTER.atOrBefore(address)).isEqualTo(before);
  }

  // ---- FreeAddressIndex with the kube-vip filter, against a BitSet of 1024 IPv4 + 1024 IPv6 slots ----

  static final int SPACE = 1024;

  record Bases(IpAddress v4, IpAddress v6) {
    IpAddress at(int slot) {
      return slot < SPACE ? v4.plus(slot) : v6.plus(slot - SPACE);
    }
  }

  record Op(boolean use, int slot, boolean queryIpv6, int from, int to) {}

  @Provide
  Arbitrary<Bases> bases() {
    return Arbitraries.of(
        new Bases(IpAddress.parse("10.0.0.0"), IpAddress.parse("2001:db8::")),
        new Bases(IpAddress.parse("255.255.252.0"), IpAddress.parse("::")),
        new Bases(IpAddress.parse("0.0.0.0"), IpAddress.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fc00")),
        new Bases(IpAddress.parse("10.0.0.250"), IpAddress.parse("2001:db8::ff")));
  }

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<Integer> offset = Arbitraries.integers().between(0, SPACE - 1);
    return Combinators.combine(
            Arbitraries.integers().between(0, 4).map(i -> i < 3),
            Arbitraries.integers().between(0, 2 * SPACE - 1),
            Arbitraries.of(false, true),
            offset,
            offset)
        .as(Op::new)
        .list()
        .ofMinSize(1)
        .ofMaxSize(150);
  }

  /**
   * Slots are squeezed into a random window that starts at a random offset, so that runs form on
   * both sides of .0/.255 and fill whole octets.
   */
  @Property(tries = 300)
  void freeAddressIndexSkipsExcludedAddresses(
      @ForAll("bases") Bases bases,
      @ForAll("ops") List<Op> ops,
      @ForAll @IntRange(min = 2, max = 600) int window,
      @ForAll @IntRange(max = 400) int windowStart) {
    FreeAddressIndex index = new FreeAddressIndex(FILTER);
    BitSet model = new BitSet(2 * SPACE);
    for (Op op : ops) {
      int slot = (op.slot() / SPACE) * SPACE + windowStart + (op.slot() % SPACE) % window;
      IpAddress address = bases.at(slot);
      boolean allocatable = allocatable(address);
      if (op.use()) {
        assertThat(index.markUsed(address)).as("markUsed %s", address).isEqualTo(allocatable && !model.get(slot));
        model.set(slot, allocatable || model.get(slot));
      } else {
        assertThat(index.markFree(address)).as("markFree %s", address).isEqualTo(model.get(slot));
        model.clear(slot);
      }

      assertThat(index.usedCount()).isEqualTo(model.cardinality());
      assertThat(index.runCount()).isEqualTo(runs(model, bases));
      assertThat(index.isUsed(address)).isEqualTo(model.get(slot));
      int familyStart = op.queryIpv6() ? SPACE : 0;
      int a = familyStart + Math.min(op.from(), op.to());
      int b = familyStart + Math.max(op.from(), op.to());
      checkQueries(index, model, bases, a, b);
    }
    for (int slot = 0; slot < 2 * SPACE; slot++) {
      assertThat(index.isUsed(bases.at(slot))).as("isUsed %s", bases.at(slot)).isEqualTo(model.get(slot));
    }
    checkQueries(index, model, bases, 0, SPACE - 1);
    checkQueries(index, model, bases, SPACE, 2 * SPACE - 1);
  }

  private static void checkQueries(FreeAddressIndex index, BitSet model, Bases bases, int a, int b) {
    IpRange range = new IpRange(bases.at(a), bases.at(b));
    Optional<IpAddress> lowest = Optional.empty();
    for (int s = a; s <= b && lowest.isEmpty(); s++) {
      lowest = !model.get(s) && allocatable(bases.at(s)) ? Optional.of(bases.at(s)) : Optional.empty();
    }
    Optional<IpAddress> highest = Optional.empty();
    for (int s = b; s >= a && highest.isEmpty(); s--) {
      highest = !model.get(s) && allocatable(bases.at(s)) ? Optional.of(bases.at(s)) : Optional.empty();
    }
    assertThat(index.lowestFree(range)).as("lowestFree %s", range).isEqualTo(lowest);
    assertThat(index.highestFree(range)).as("highestFree %s", range).isEqualTo(highest);
    assertThat(index.usedWithin(range)).as("usedWithin %s", range).isEqualTo(model.get(a, b + 1).cardinality());
  }

  /** Runs of used addresses where only excluded addresses may sit between two used ones. */
  private static int runs(BitSet model, Bases bases) {
    int runs = 0;
    for (int family = 0; family < 2; family++) {
      boolean inRun = false;
      for (int s = family * SPACE; s < (family + 1) * SPACE; s++) {
        if (!allocatable(bases.at(s))) {
          continue;
        }
        if (model.get(s) && !inRun) {
          runs++;
        }
        inRun = model.get(s);
      }
    }
    return runs;
  }
}
