package dev.lbipam.controller;

import io.kubernetes.client.extended.leaderelection.LeaderElectionRecord;
import io.kubernetes.client.extended.leaderelection.Lock;
import io.kubernetes.client.openapi.ApiException;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.Date;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election on the Lease through client-java's {@link Lock}, timed for a fast take-over (ADR
 * 0013). Same rules as client-java's and client-go's electors: a standby takes the Lease when it
 * is free, or when the record it last saw has not changed for a full lease duration by its own
 * monotonic clock. What differs is when it looks: every quarter retry period while a leader renews,
 * and exactly at the moment the lease would run out, rather than at a jittered retry tick up to
 * 2.2 retry periods apart.
 */
final class LeaseElector implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseElector.class);

  record Timing(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
    Duration standbyPoll() {
      return retryPeriod.dividedBy(4);
    }
  }

  /** The record a standby last saw change, and when by its monotonic clock. */
  record Seen(LeaderElectionRecord record, long atNanos) {}

  /** What a standby does after reading the Lease. */
  sealed interface Next {
    /** No Lease exists: create it. */
    record Create() implements Next {}

    /** Write ourselves in as holder, over the record just read. */
    record Take(int transitions) implements Next {}

    /** Read again after this long. */
    record Wait(long nanos) implements Next {}
  }

  record Step(Next next, Seen seen) {}

  /**
   * The standby's decision, a function of what it read (empty: no Lease), what it saw before and
   * the time. Someone else's renewal, a changed duration or holder all restart the wait.
   */
  static Step standby(Optional<LeaderElectionRecord> read, Seen before, String identity, long nowNanos, Timing timing) {
    if (read.isEmpty()) {
      return new Step(new Next.Create(), before);
    }
    LeaderElectionRecord record = read.get();
    String holder = record.getHolderIdentity();
    if (holder == null || holder.isEmpty() || record.getRenewTime() == null) {
      return new Step(new Next.Take(record.getLeaderTransitions() + 1), before);
    }
    if (holder.equals(identity)) {
      // Our own write whose reply we lost: the Lease is already ours.
      return new Step(new Next.Take(record.getLeaderTransitions()), before);
    }
    long lease = timing.leaseDuration().toNanos();
    long poll = timing.standbyPoll().toNanos();
    if (before == null || !record.equals(before.record())) {
      return new Step(new Next.Wait(Math.min(poll, lease)), new Seen(record, nowNanos));
    }
    long left = before.atNanos() + lease - nowNanos;
    if (left <= 0) {
      return new Step(new Next.Take(record.getLeaderTransitions() + 1), before);
    }
    return new Step(new Next.Wait(Math.min(poll, left)), before);
  }

  private final Lock lock;
  private final Timing timing;
  private final LongSupplier nanoClock;
  private volatile boolean closing;
  private volatile Thread thread;

  LeaseElector(Lock lock, Timing timing, LongSupplier nanoClock) {
    this.lock = lock;
    this.timing = timing;
    this.nanoClock = nanoClock;
  }

  /**
   * Waits for the Lease, runs {@code onStartLeading} on a thread of its own, then renews every
   * retry period. Calls {@code onStopLeading} when no renewal succeeded within the renew deadline,
   * or someone else holds the Lease. Returns on loss or {@link #close}.
   */
  void run(Runnable onStartLeading, Runnable onStopLeading) {
    thread = Thread.currentThread();
    try {
      Optional<LeaderElectionRecord> held = acquire();
      if (held.isEmpty()) {
        return;
      }
      Thread leading = new Thread(onStartLeading, "controller");
      leading.setDaemon(true);
      leading.start();
      renew(held.get());
      if (!closing) {
        onStopLeading.run();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Optional<LeaderElectionRecord> acquire() throws InterruptedException {
    long started = nanoClock.getAsLong();
    Seen seen = null;
    String waitingFor = null;
    while (!closing) {
      Optional<LeaderElectionRecord> read;
      try {
        read = Optional.of(lock.get());
      } catch (ApiException e) {
        if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
          LOG.warn("reading the leader lease failed lease={} code={}", lock.describe(), e.getCode());
          Thread.sleep(timing.retryPeriod().toMillis());
          continue;
        }
        read = Optional.empty();
      } catch (RuntimeException e) {
        LOG.warn("reading the leader lease failed lease={} error=\"{}\"", lock.describe(), e.getMessage());
        Thread.sleep(timing.retryPeriod().toMillis());
        continue;
      }
      long now = nanoClock.getAsLong();
      Step step = standby(read, seen, lock.identity(), now, timing);
      seen = step.seen();
      if (step.next() instanceof Next.Wait wait) {
        String holder = seen.record().getHolderIdentity();
        if (!holder.equals(waitingFor)) {
          LOG.info("standing by; the leader lease is held lease={} holder={}", lock.describe(), holder);
          waitingFor = holder;
        }
        TimeUnit.NANOSECONDS.sleep(wait.nanos());
        continue;
      }
      int transitions = step.next() instanceof Next.Take take ? take.transitions() : 0;
      Date at = new Date();
      LeaderElectionRecord ours = new LeaderElectionRecord(
          lock.identity(), (int) timing.leaseDuration().toSeconds(), at, at, transitions, null);
      boolean won = step.next() instanceof Next.Create ? lock.create(ours) : lock.update(ours);
      if (won) {
        LOG.info("leader lease acquired lease={} previousHolder={} seconds={}", lock.describe(),
            read.map(LeaderElectionRecord::getHolderIdentity).orElse(""),
            String.format(Locale.ROOT, "%.2f", (nanoClock.getAsLong() - started) / 1e9));
        return Optional.of(ours);
      }
      // Someone was faster (or the write failed): read again soon.
      TimeUnit.NANOSECONDS.sleep(timing.standbyPoll().toNanos());
    }
    return Optional.empty();
  }

  private void renew(LeaderElectionRecord acquired) throws InterruptedException {
    long lastRenewal = nanoClock.getAsLong();
    while (!closing) {
      long untilDeadline = lastRenewal + timing.renewDeadline().toNanos() - nanoClock.getAsLong();
      TimeUnit.NANOSECONDS.sleep(
          Math.max(0, Math.min(timing.retryPeriod().toNanos(), untilDeadline)));
      if (closing) {
        return;
      }
      long started = nanoClock.getAsLong();
      Optional<String> other = Optional.empty();
      boolean renewed = false;
      try {
        LeaderElectionRecord current = lock.get();
        if (!Objects.equals(current.getHolderIdentity(), lock.identity())) {
          other = Optional.ofNullable(current.getHolderIdentity());
        } else {
          Date at = new Date();
          renewed = lock.update(new LeaderElectionRecord(lock.identity(), (int) timing.leaseDuration().toSeconds(),
              acquired.getAcquireTime(), at, current.getLeaderTransitions(), null));
        }
      } catch (ApiException | RuntimeException e) {
        LOG.warn("renewing the leader lease failed lease={} error=\"{}\"", lock.describe(), e.getMessage());
      }
      if (other.isPresent()) {
        LOG.error("the leader lease is held by someone else lease={} holder={}", lock.describe(), other.get());
        return;
      }
      if (renewed) {
        lastRenewal = started;
      } else if (nanoClock.getAsLong() - lastRenewal >= timing.renewDeadline().toNanos()) {
        LOG.error("no renewal of the leader lease within the renew deadline lease={} deadline={}",
            lock.describe(), timing.renewDeadline());
        return;
      }
    }
  }

  /** Stops waiting or renewing; the Lease is left as it is (see {@link LeaseRelease}). */
  @Override
  public void close() {
    closing = true;
    Thread running = thread;
    if (running != null && running != Thread.currentThread()) {
      running.interrupt();
      try {
        // A Lease call in flight ends within its call timeout; the release must come after it.
        running.join(timing.retryPeriod().multipliedBy(2).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
