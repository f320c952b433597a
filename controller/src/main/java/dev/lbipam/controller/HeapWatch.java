package dev.lbipam.controller;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryNotificationInfo;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.Optional;
import java.util.function.IntSupplier;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says so when the heap stays nearly full after a collection. Without it, a controller whose caches
 * outgrow its memory limit shows only the symptom: the Serial collector runs ever longer full
 * collections (it has no overhead limit), a Lease renewal misses its deadline and the leader exits.
 */
final class HeapWatch {
  static final double DEFAULT_FRACTION = 0.85;
  private static final Logger LOG = LoggerFactory.getLogger(HeapWatch.class);

  private HeapWatch() {}

  /** The warning for a collection that left {@code used} of {@code max} bytes, with this many Services cached. */
  static String message(long used, long max, int servicesCached) {
    return String.format(java.util.Locale.ROOT,
        "heap nearly full after a collection: %d of %d MiB used, %d Services cached; raise the memory limit"
            + " (the heap is 60%% of it; about 6 KiB of heap per Service, docs/benchmarks.md)",
        used >> 20, max >> 20, servicesCached);
  }

  /** The old generation: the heap pool that supports a collection usage threshold and has a maximum. */
  static Optional<MemoryPoolMXBean> tenuredPool() {
    return ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(pool -> pool.getType() == MemoryType.HEAP && pool.isCollectionUsageThresholdSupported()
            && pool.getUsage().getMax() > 0)
        .reduce((a, b) -> a.getUsage().getMax() >= b.getUsage().getMax() ? a : b);
  }

  /**
   * Warns (logs, and tells {@code onWarning}) each time a collection leaves the old generation above
   * {@code fraction} of its maximum. Returns false when this JVM has no such pool.
   */
  static boolean install(double fraction, IntSupplier servicesCached, java.util.function.Consumer<String> onWarning) {
    Optional<MemoryPoolMXBean> tenured = tenuredPool();
    if (tenured.isEmpty()) {
      return false;
    }
    MemoryPoolMXBean pool = tenured.get();
    pool.setCollectionUsageThreshold(Math.max(1, (long) (pool.getUsage().getMax() * fraction)));
    String poolName = pool.getName();
    ((NotificationEmitter) ManagementFactory.getMemoryMXBean()).addNotificationListener((notification, handback) -> {
      if (!MemoryNotificationInfo.MEMORY_COLLECTION_THRESHOLD_EXCEEDED.equals(notification.getType())) {
        return;
      }
      MemoryNotificationInfo info = MemoryNotificationInfo.from((CompositeData) notification.getUserData());
      if (!poolName.equals(info.getPoolName())) {
        return;
      }
      MemoryUsage usage = info.getUsage();
      String text = message(usage.getUsed(), usage.getMax(), servicesCached.getAsInt());
      LOG.warn(text);
      onWarning.accept(text);
    }, null, null);
    return true;
  }
}
