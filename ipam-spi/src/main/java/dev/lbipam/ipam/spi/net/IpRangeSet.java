package dev.lbipam.ipam.spi.net;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * An immutable set of addresses held as sorted, disjoint, non-adjacent ranges. Memory grows with the
 * number of ranges, never with the number of addresses: a /64 costs the same as a /30.
 */
public final class IpRangeSet {
  private static final IpRangeSet EMPTY = new IpRangeSet(List.of());

  private final List<IpRange> ranges;

  private IpRangeSet(List<IpRange> ranges) {
    this.ranges = ranges;
  }

  public static IpRangeSet empty() {
    return EMPTY;
  }

  /** Merges overlapping and adjacent ranges. O(r log r) for r input ranges. */
  public static IpRangeSet of(Collection<IpRange> input) {
    List<IpRange> sorted = new ArrayList<>(input);
    sorted.sort(null);
    List<IpRange> merged = new ArrayList<>();
    for (IpRange next : sorted) {
      if (!merged.isEmpty()) {
        IpRange last = merged.get(merged.size() - 1);
        if (last.family() == next.family()
            && next.first().value().compareTo(last.last().value().add(BigInteger.ONE)) <= 0) {
          if (next.last().compareTo(last.last()) > 0) {
            merged.set(merged.size() - 1, new IpRange(last.first(), next.last()));
          }
          continue;
        }
      }
      merged.add(next);
    }
    return merged.isEmpty() ? EMPTY : new IpRangeSet(List.copyOf(merged));
  }

  public List<IpRange> ranges() {
    return ranges;
  }

  public boolean isEmpty() {
    return ranges.isEmpty();
  }

  public IpRangeSet only(IpFamily family) {
    return new IpRangeSet(ranges.stream().filter(r -> r.family() == family).toList());
  }

  public BigInteger size() {
    return ranges.stream().map(IpRange::size).reduce(BigInteger.ZERO, BigInteger::add);
  }

  /** O(log r). */
  public boolean contains(IpAddress address) {
    int low = 0;
    int high = ranges.size() - 1;
    while (low <= high) {
      int mid = (low + high) >>> 1;
      IpRange range = ranges.get(mid);
      if (range.last().compareTo(address) < 0) {
        low = mid + 1;
      } else if (range.first().compareTo(address) > 0) {
        high = mid - 1;
      } else {
        return true;
      }
    }
    return false;
  }

  /** The fewest CIDR prefixes that cover exactly this set, in ascending order. */
  public List<IpPrefix> toPrefixes() {
    List<IpPrefix> prefixes = new ArrayList<>();
    for (IpRange range : ranges) {
      IpFamily family = range.family();
      BigInteger start = range.first().value();
      BigInteger end = range.last().value();
      while (start.compareTo(end) <= 0) {
        int alignment = start.signum() == 0 ? family.bits() : start.getLowestSetBit();
        int remaining = end.subtract(start).add(BigInteger.ONE).bitLength() - 1;
        int hostBits = Math.min(Math.min(alignment, remaining), family.bits());
        prefixes.add(new IpPrefix(new IpAddress(family, start), family.bits() - hostBits));
        start = start.add(BigInteger.ONE.shiftLeft(hostBits));
      }
    }
    return List.copyOf(prefixes);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof IpRangeSet set && set.ranges.equals(ranges);
  }

  @Override
  public int hashCode() {
    return ranges.hashCode();
  }

  @Override
  public String toString() {
    return ranges.toString();
  }
}
