package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class HeapWatchTest {
  @Test
  void theMessageNamesUseLimitAndCacheSize() {
    assertThat(HeapWatch.message(290L << 20, 307L << 20, 33_208))
        .contains("290 of 307 MiB used")
        .contains("33208 Services cached")
        .contains("raise the memory limit");
  }

  @Test
  void thisJvmHasATenuredPoolWithAMaximum() {
    assertThat(HeapWatch.tenuredPool()).isPresent();
    assertThat(HeapWatch.tenuredPool().orElseThrow().getUsage().getMax()).isPositive();
  }

  /** A threshold every collection exceeds: the warning comes from a real collection's notification. */
  @Test
  void aCollectionAboveTheThresholdWarns() {
    List<String> warnings = new CopyOnWriteArrayList<>();
    assertThat(HeapWatch.install(1e-9, () -> 42, warnings::add)).isTrue();
    List<byte[]> survivors = new java.util.ArrayList<>();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      survivors.add(new byte[1 << 20]);
      System.gc();
      return !warnings.isEmpty();
    });
    assertThat(warnings.get(0)).contains("42 Services cached");
    HeapWatch.tenuredPool().orElseThrow().setCollectionUsageThreshold(0);
  }
}
