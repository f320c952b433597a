package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubernetes.client.extended.leaderelection.LeaderElectionRecord;
import io.kubernetes.client.extended.leaderelection.Lock;
import java.time.Duration;
import java.util.Date;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LeaseFenceTest {
  final AtomicLong now = new AtomicLong(1_000_000_000_000L);
  final AtomicInteger lost = new AtomicInteger();
  final LeaseFence fence = new LeaseFence(true, Duration.ofSeconds(10), now::get, lost::incrementAndGet);

  static final class FakeLock implements Lock {
    boolean succeed = true;

    @Override
    public LeaderElectionRecord get() {
      return null;
    }

    @Override
    public boolean create(LeaderElectionRecord record) {
      return succeed;
    }

    @Override
    public boolean update(LeaderElectionRecord record) {
      return succeed;
    }

    @Override
    public String identity() {
      return "me";
    }

    @Override
    public String describe() {
      return "fake";
    }
  }

  static LeaderElectionRecord record(String holder) {
    return new LeaderElectionRecord(holder, 15, new Date(), new Date(), 0);
  }

  @Test
  void aReplicaThatNeverLedMayNotWrite() {
    assertThat(fence.holds()).isFalse();
    assertThatThrownBy(fence::check).isInstanceOf(LeaseFence.FencedOffException.class).hasMessageContaining("not leading");
    assertThat(lost).as("not a loss: it never led").hasValue(0);
  }

  @Test
  void eachSuccessfulRenewalByUsMovesTheFenceFromWhenTheRenewalStarted() throws Exception {
    FakeLock lock = new FakeLock();
    Lock wrapped = fence.wrap(lock);
    assertThat(wrapped.create(record("me"))).isTrue();
    fence.startLeading();
    now.addAndGet(Duration.ofSeconds(9).toNanos());
    assertThat(fence.holds()).isTrue();
    fence.check();

    assertThat(wrapped.update(record("me"))).isTrue();
    now.addAndGet(Duration.ofSeconds(9).toNanos());
    assertThat(fence.holds()).as("9 s after the last renewal").isTrue();
  }

  @Test
  void aFrozenReplicaWakesUpFencedOffAndReportsTheLossOnce() throws Exception {
    FakeLock lock = new FakeLock();
    Lock wrapped = fence.wrap(lock);
    wrapped.update(record("me"));
    fence.startLeading();
    lock.succeed = false;
    wrapped.update(record("me"));
    wrapped.update(record(""));

    now.addAndGet(Duration.ofSeconds(25).toNanos());
    assertThat(fence.holds()).isFalse();
    assertThatThrownBy(fence::check).isInstanceOf(LeaseFence.FencedOffException.class).hasMessageContaining("expired");
    assertThatThrownBy(fence::check).isInstanceOf(LeaseFence.FencedOffException.class);
    assertThat(lost).hasValue(1);

    lock.succeed = true;
    wrapped.update(record("me"));
    assertThat(fence.holds()).as("once lost, never again in this process").isFalse();
  }

  @Test
  void aRenewalThatGivesTheLeaseAwayDoesNotCount() {
    Lock wrapped = fence.wrap(new FakeLock());
    wrapped.update(record("someone-else"));
    fence.startLeading();
    now.addAndGet(Duration.ofSeconds(1).toNanos());
    // renewed() was never called: the fence starts at time zero, far in the past.
    assertThat(fence.holds()).isFalse();
  }

  @Test
  void withoutLeaderElectionTheFenceIsAlwaysOpen() throws Exception {
    LeaseFence open = LeaseFence.open();
    assertThat(open.holds()).isTrue();
    open.check();
  }

  @Test
  void everyWriteButTheLeasesAndEventsIsFencedWhateverTheObjectIsNamed() {
    assertThat(LeaseFence.fenced("PATCH", "/api/v1/namespaces/ns/services/web")).isTrue();
    assertThat(LeaseFence.fenced("PATCH", "/api/v1/namespaces/ns/services/leases")).as("a Service named leases").isTrue();
    assertThat(LeaseFence.fenced("PATCH", "/api/v1/namespaces/ns/services/events")).as("a Service named events").isTrue();
    assertThat(LeaseFence.fenced("POST", "/apis/networking.k8s.io/v1/ipaddresses")).isTrue();
    assertThat(LeaseFence.fenced("DELETE", "/apis/networking.k8s.io/v1/ipaddresses/10.0.0.1")).isTrue();
    assertThat(LeaseFence.fenced("POST", "/apis/lbipam.dev/v1alpha1/addressclaims")).isTrue();
    assertThat(LeaseFence.fenced("PUT", "/apis/lbipam.dev/v1alpha1/addressclaims/fd00-0000-0000-0000-0000-0000-0000-0001")).isTrue();
    assertThat(LeaseFence.fenced("PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-vip-cloud-controller"))
        .isFalse();
    assertThat(LeaseFence.fenced("POST", "/api/v1/namespaces/ns/events")).isFalse();
    assertThat(LeaseFence.fenced("PATCH", "/api/v1/namespaces/ns/events/web.1234")).isFalse();
    assertThat(LeaseFence.fenced("GET", "/api/v1/namespaces/ns/services/web")).isFalse();
  }
}
