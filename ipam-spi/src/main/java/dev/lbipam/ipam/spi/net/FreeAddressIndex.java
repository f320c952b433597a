package dev.lbipam.ipam.spi.net;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The allocatable addresses in use, kept as maximal runs so that the lowest or highest free address
 * of a range is found in O(log n) for n runs, however full the range is and however large it is.
 *
 * <p>Invariant: each run {@code [a, b]} starts and ends at a used allocatable address, every
 * allocatable address inside it is used, and no allocatable free address separates two runs that
 * could be joined. Addresses the filter excludes are never stored. Not thread-safe.
 */
public final class FreeAddressIndex {
  private final AllocatableFilter filter;
  private final TreeMap<IpAddress, IpAddress> runs = new TreeMap<>();
  private long usedCount;

  public FreeAddressIndex(AllocatableFilter filter) {
    this.filter = filter;
  }

  public AllocatableFilter filter() {
    return filter;
  }

  /** Number of used allocatable addresses. */
  public long usedCount() {
    return usedCount;
  }

  public int runCount() {
    return runs.size();
  }

  /** O(log n). */
  public boolean isUsed(IpAddress address) {
    if (!filter.isAllocatable(address)) {
      return false;
    }
    Map.Entry<IpAddress, IpAddress> run = runs.floorEntry(address);
    return run != null && run.getKey().family() == address.family() && run.getValue().compareTo(address) >= 0;
  }

  /** Marks an address used. Returns false if it was already used or is not allocatable. O(log n). */
  public boolean markUsed(IpAddress address) {
    if (!filter.isAllocatable(address) || isUsed(address)) {
      return false;
    }
    IpAddress start = address;
    IpAddress end = address;
    Map.Entry<IpAddress, IpAddress> left = runs.lowerEntry(address);
    if (left != null && address.equals(nextAllocatable(left.getValue()))) {
      start = left.getKey();
    }
    Map.Entry<IpAddress, IpAddress> right = runs.higherEntry(address);
    if (right != null && right.getKey().equals(nextAllocatable(address))) {
      end = right.getValue();
      runs.remove(right.getKey());
    }
    runs.put(start, end);
    usedCount++;
    return true;
  }

  /** Marks an address free. Returns false if it was not used. O(log n). */
  public boolean markFree(IpAddress address) {
    if (!isUsed(address)) {
      return false;
    }
    Map.Entry<IpAddress, IpAddress> run = runs.floorEntry(address);
    IpAddress start = run.getKey();
    IpAddress end = run.getValue();
    runs.remove(start);
    IpAddress before = previousAllocatable(address);
    if (before != null && before.compareTo(start) >= 0) {
      runs.put(start, before);
    }
    IpAddress after = nextAllocatable(address);
    if (after != null && after.compareTo(end) <= 0) {
      runs.put(after, end);
    }
    usedCount--;
    return true;
  }

  /** The lowest free allocatable address in {@code range}. O(log n). */
  public Optional<IpAddress> lowestFree(IpRange range) {
    IpAddress candidate = filter.atOrAfter(range.first());
    if (candidate == null || candidate.compareTo(range.last()) > 0) {
      return Optional.empty();
    }
    Map.Entry<IpAddress, IpAddress> run = runs.floorEntry(candidate);
    if (run != null && run.getKey().family() == candidate.family() && run.getValue().compareTo(candidate) >= 0) {
      candidate = nextAllocatable(run.getValue());
    }
    return candidate != null && candidate.compareTo(range.last()) <= 0 ? Optional.of(candidate) : Optional.empty();
  }

  /** The highest free allocatable address in {@code range}. O(log n). */
  public Optional<IpAddress> highestFree(IpRange range) {
    IpAddress candidate = filter.atOrBefore(range.last());
    if (candidate == null || candidate.compareTo(range.first()) < 0) {
      return Optional.empty();
    }
    Map.Entry<IpAddress, IpAddress> run = runs.floorEntry(candidate);
    if (run != null && run.getKey().family() == candidate.family() && run.getValue().compareTo(candidate) >= 0) {
      candidate = previousAllocatable(run.getKey());
    }
    return candidate != null && candidate.compareTo(range.first()) >= 0 ? Optional.of(candidate) : Optional.empty();
  }

  /** Used allocatable addresses inside {@code range}; O(runs overlapping the range). */
  public long usedWithin(IpRange range) {
    long total = 0;
    Map.Entry<IpAddress, IpAddress> first = runs.floorEntry(range.first());
    IpAddress from = first != null && first.getKey().family() == range.family() ? first.getKey() : range.first();
    for (Map.Entry<IpAddress, IpAddress> run : runs.subMap(from, true, range.last(), true).entrySet()) {
      IpAddress a = max(run.getKey(), range.first());
      IpAddress b = min(run.getValue(), range.last());
      if (a.compareTo(b) <= 0) {
        total += filter.countAllocatable(new IpRange(a, b)).longValueExact();
      }
    }
    return total;
  }

  private IpAddress nextAllocatable(IpAddress address) {
    IpAddress next = address.plus(1);
    return next == null ? null : filter.atOrAfter(next);
  }

  private IpAddress previousAllocatable(IpAddress address) {
    IpAddress previous = address.plus(-1);
    return previous == null ? null : filter.atOrBefore(previous);
  }

  private static IpAddress max(IpAddress a, IpAddress b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private static IpAddress min(IpAddress a, IpAddress b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
