package dev.lbipam.ipam.spi.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link IpRangeSet} against a BitSet model of 1024 IPv4 and 1024 IPv6 addresses; bases are
 * 1024-aligned so the model space is itself one aligned prefix in each family.
 */
class IpRangeSetPropertyTest {
  static final int SPACE = 1024;

  record Bases(IpAddress v4, IpAddress v6) {
    IpAddress at(int slot) {
      return slot < SPACE ? v4.plus(slot) : v6.plus(slot - SPACE);
    }

    /** The model slot of an address, or -1 when it lies outside the model space. */
    int slotOf(IpAddress address) {
      IpAddress base = address.isIpv4() ? v4 : v6;
      BigInteger offset = address.value().subtract(base.value());
      if (offset.signum() < 0 || offset.compareTo(BigInteger.valueOf(SPACE)) >= 0) {
        return -1;
      }
      return (address.isIpv4() ? 0 : SPACE) + offset.intValueExact();
    }
  }

  record Span(boolean ipv6, int from, int to) {}

  @Provide
  Arbitrary<Bases> bases() {
    return Arbitraries.of(
        new Bases(IpAddress.parse("10.0.0.0"), IpAddress.parse("2001:db8::")),
        new Bases(IpAddress.parse("255.255.252.0"), IpAddress.parse("::")),
        new Bases(IpAddress.parse("0.0.0.0"), IpAddress.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fc00")));
  }

  @Provide
  Arbitrary<List<Span>> spans() {
    Arbitrary<Integer> offset = Arbitraries.integers().between(0, SPACE - 1);
    return Combinators.combine(Arbitraries.of(false, true), offset, offset).as(Span::new).list().ofMaxSize(12);
  }

  @Property(tries = 400)
  void equalsTheUnionAndSplitsIntoMinimalPrefixes(
      @ForAll("bases") Bases bases, @ForAll("spans") List<Span> spans, @ForAll @IntRange(min = 1, max = SPACE) int window) {
    BitSet model = new BitSet(2 * SPACE);
    List<IpRange> input = new ArrayList<>();
    for (Span span : spans) {
      int start = (span.ipv6() ? SPACE : 0) + Math.min(span.from() % window, span.to() % window);
      int end = (span.ipv6() ? SPACE : 0) + Math.max(span.from() % window, span.to() % window);
      model.set(start, end + 1);
      input.add(new IpRange(bases.at(start), bases.at(end)));
    }

    IpRangeSet set = IpRangeSet.of(input);

    for (int slot = 0; slot < 2 * SPACE; slot++) {
      assertThat(set.contains(bases.at(slot))).as("contains %s", bases.at(slot)).isEqualTo(model.get(slot));
    }
    assertThat(set.size()).isEqualTo(BigInteger.valueOf(model.cardinality()));
    assertThat(set.isEmpty()).isEqualTo(model.isEmpty());
    assertSortedDisjointAndNotAdjacent(set.ranges());

    List<IpPrefix> prefixes = set.toPrefixes();
    BitSet covered = new BitSet(2 * SPACE);
    for (IpPrefix prefix : prefixes) {
      IpRange range = prefix.toRange();
      int first = bases.slotOf(range.first());
      int last = bases.slotOf(range.last());
      assertThat(first).as("%s starts inside the model space", prefix).isNotNegative();
      assertThat(last).as("%s ends inside the model space", prefix).isNotNegative();
      assertThat(covered.get(first, last + 1).isEmpty()).as("%s overlaps an earlier prefix", prefix).isTrue();
      covered.set(first, last + 1);
    }
    assertThat(covered).isEqualTo(model);
    assertThat(prefixes).isSorted();
    for (IpPrefix prefix : prefixes) {
      assertThat(parentIsInside(prefix, model, bases)).as("%s could be widened", prefix).isFalse();
    }
    for (int i = 1; i < prefixes.size(); i++) {
      assertThat(mergeable(prefixes.get(i - 1), prefixes.get(i)))
          .as("%s and %s make one prefix", prefixes.get(i - 1), prefixes.get(i))
          .isFalse();
    }
  }

  private static void assertSortedDisjointAndNotAdjacent(List<IpRange> ranges) {
    for (int i = 1; i < ranges.size(); i++) {
      IpRange previous = ranges.get(i - 1);
      IpRange next = ranges.get(i);
      if (previous.family() == next.family()) {
        assertThat(next.first().value())
            .as("%s then %s", previous, next)
            .isGreaterThan(previous.last().value().add(BigInteger.ONE));
      } else {
        assertThat(previous.family()).isEqualTo(IpFamily.IPV4);
      }
    }
  }

  /** Two neighbours of one length whose union is the aligned prefix one bit shorter. */
  private static boolean mergeable(IpPrefix a, IpPrefix b) {
    if (a.family() != b.family() || a.length() != b.length() || a.length() == 0) {
      return false;
    }
    boolean adjacent = a.toRange().last().value().add(BigInteger.ONE).equals(b.network().value());
    boolean aligned = !a.network().value().testBit(a.family().bits() - a.length());
    return adjacent && aligned;
  }

  /** Whether the prefix one bit shorter lies wholly inside the set, which would make this one not minimal. */
  private static boolean parentIsInside(IpPrefix prefix, BitSet model, Bases bases) {
    if (prefix.length() == 0) {
      return false;
    }
    int bits = prefix.family().bits();
    BigInteger parentNetwork = prefix.network().value().clearBit(bits - prefix.length());
    IpRange parent = new IpPrefix(new IpAddress(prefix.family(), parentNetwork), prefix.length() - 1).toRange();
    int first = bases.slotOf(parent.first());
    int last = bases.slotOf(parent.last());
    if (first < 0 || last < 0) {
      return false;
    }
    return model.get(first, last + 1).cardinality() == last - first + 1;
  }
}
