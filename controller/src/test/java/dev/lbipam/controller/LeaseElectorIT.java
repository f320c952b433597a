package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lbipam.testsupport.KubeApiServer;
import io.kubernetes.client.extended.leaderelection.LeaderElectionRecord;
import io.kubernetes.client.extended.leaderelection.Lock;
import io.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.kubernetes.client.openapi.ApiException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link LeaseElector} against a real API server: a standby never takes a Lease before a full lease
 * duration has passed since the holder's last successful renewal began (by one monotonic clock,
 * both electors live in this JVM), and it takes a released Lease without waiting for expiry.
 */
class LeaseElectorIT {
  static final String LEASE = "lbipam-elector-test";
  static KubeApiServer server;

  @BeforeAll
  static void start() {
    server = KubeApiServer.start();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  /** One elector in a thread of its own, and when its Lease writes began and succeeded. */
  static final class Candidate implements AutoCloseable {
    final String identity;
    final LeaseElector elector;
    final AtomicBoolean leading = new AtomicBoolean();
    final AtomicBoolean stoppedLeading = new AtomicBoolean();
    final AtomicLong lastRenewalStarted = new AtomicLong();
    final AtomicLong acquireStarted = new AtomicLong();

    Candidate(String namespace, String identity, LeaseElector.Timing timing) {
      this.identity = identity;
      LeaseLock lease = new LeaseLock(namespace, LEASE, identity, server.adminClient());
      Lock lock = new Lock() {
        @Override
        public LeaderElectionRecord get() throws ApiException {
          return lease.get();
        }

        @Override
        public boolean create(LeaderElectionRecord record) {
          return timed(() -> lease.create(record));
        }

        @Override
        public boolean update(LeaderElectionRecord record) {
          return timed(() -> lease.update(record));
        }

        private boolean timed(java.util.function.BooleanSupplier write) {
          long started = System.nanoTime();
          boolean ok = write.getAsBoolean();
          if (ok) {
            acquireStarted.compareAndSet(0, started);
            lastRenewalStarted.set(started);
          }
          return ok;
        }

        @Override
        public String identity() {
          return identity;
        }

        @Override
        public String describe() {
          return namespace + "/" + LEASE;
        }
      };
      elector = new LeaseElector(lock, timing, System::nanoTime);
      Thread thread = new Thread(() -> elector.run(() -> leading.set(true), () -> stoppedLeading.set(true)),
          "elector-" + identity);
      thread.setDaemon(true);
      thread.start();
    }

    /** Stops renewing and leaves the Lease as it is, as a killed process would. */
    @Override
    public void close() {
      elector.close();
    }
  }

  @Test
  void aStandbyTakesAnAbandonedLeaseOnlyAFullLeaseDurationAfterItsLastRenewalBegan() {
    String namespace = server.createNamespace("elector");
    LeaseElector.Timing timing = new LeaseElector.Timing(Duration.ofSeconds(4), Duration.ofSeconds(3), Duration.ofSeconds(1));
    try (Candidate first = new Candidate(namespace, "first", timing);
        Candidate second = new Candidate(namespace, "second", timing)) {
      await().atMost(Duration.ofSeconds(30)).until(() -> first.leading.get() || second.leading.get());
      Candidate leader = first.leading.get() ? first : second;
      Candidate standby = leader == first ? second : first;
      // Several renewals go by; the standby must keep waiting through all of them.
      await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(8)).until(() -> !standby.leading.get());
      assertThat(leader.stoppedLeading).isFalse();

      leader.close();
      long abandonedAfter = leader.lastRenewalStarted.get();
      await().atMost(Duration.ofSeconds(30)).until(standby.leading::get);

      assertThat(standby.acquireStarted.get() - abandonedAfter)
          .as("nanoseconds from the old leader's last renewal to the take-over")
          .isGreaterThanOrEqualTo(timing.leaseDuration().toNanos());
      assertThat(FrozenLeaderIT.leaseHolder(server, namespace, LEASE)).isEqualTo(standby.identity);
    }
  }

  @Test
  void aReleasedLeaseIsTakenWithoutWaitingForItToExpire() {
    String namespace = server.createNamespace("elector");
    // A lease far longer than the wait below: only the "free" rule can hand it over in time.
    LeaseElector.Timing timing = new LeaseElector.Timing(Duration.ofSeconds(120), Duration.ofSeconds(60), Duration.ofSeconds(2));
    try (Candidate first = new Candidate(namespace, "first", timing)) {
      await().atMost(Duration.ofSeconds(30)).until(first.leading::get);
      try (Candidate second = new Candidate(namespace, "second", timing)) {
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> !second.leading.get());
        first.close();
        LeaseRelease.release(server.adminClient(), namespace, LEASE, "first");
        await().atMost(Duration.ofSeconds(20)).until(second.leading::get);
        assertThat(FrozenLeaderIT.leaseHolder(server, namespace, LEASE)).isEqualTo("second");
      }
    }
  }
}
