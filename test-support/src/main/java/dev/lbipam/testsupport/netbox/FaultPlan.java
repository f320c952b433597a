package dev.lbipam.testsupport.netbox;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * The faults a test switches on for a NetBox endpoint, and the calls it received. One home for the
 * stand-in and for {@link NetBoxFaultProxy} in front of a real NetBox, so a test injects the same
 * faults into both. Thread-safe.
 */
public final class FaultPlan {
  private record Fault(int status, AtomicInteger remaining, Predicate<HttpCall> which) {
    boolean take(HttpCall call) {
      if (!which.test(call)) {
        return false;
      }
      while (true) {
        int left = remaining.get();
        if (left == 0) {
          return false;
        }
        if (left < 0 || remaining.compareAndSet(left, left - 1)) {
          return true;
        }
      }
    }
  }

  private final List<HttpCall> calls = new CopyOnWriteArrayList<>();
  private final List<Fault> failures = new CopyOnWriteArrayList<>();
  private final List<Fault> lostReplies = new CopyOnWriteArrayList<>();
  private final AtomicLong applied = new AtomicLong();
  private volatile Duration latency = Duration.ZERO;

  /** Every response is delayed by this much (before the request is handled). */
  public void setLatency(Duration value) {
    latency = Objects.requireNonNull(value);
  }

  /** The next {@code count} requests {@code which} accepts (all, while negative) get {@code status} unhandled. */
  public void failRequests(int status, int count, Predicate<HttpCall> which) {
    failures.add(new Fault(status, new AtomicInteger(count), which));
  }

  /**
   * The next {@code count} requests {@code which} accepts (all, while negative) are carried out,
   * then the connection is closed without a response: the client cannot know whether they
   * succeeded. Replies of 5xx are never lost (nothing was done).
   */
  public void loseReplies(int count, Predicate<HttpCall> which) {
    lostReplies.add(new Fault(0, new AtomicInteger(count), which));
  }

  /** Removes latency, injected statuses and lost replies. */
  public void clear() {
    latency = Duration.ZERO;
    failures.clear();
    lostReplies.clear();
  }

  /** Every request received so far (including failed and lost ones), oldest first. */
  public List<HttpCall> calls() {
    return List.copyOf(calls);
  }

  public long countCalls(Predicate<HttpCall> which) {
    return calls.stream().filter(which).count();
  }

  /** How many statuses were injected and replies lost so far. */
  public long applied() {
    return applied.get();
  }

  public void resetCalls() {
    calls.clear();
  }

  /** Records the call, waits out the latency, and says which status to inject, if any. */
  Optional<Integer> arrived(HttpCall call) {
    calls.add(call);
    Duration delay = latency;
    if (!delay.isZero()) {
      try {
        Thread.sleep(delay.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (Fault fault : failures) {
      if (fault.take(call)) {
        applied.incrementAndGet();
        return Optional.of(fault.status());
      }
    }
    return Optional.empty();
  }

  /** Whether the reply (of the given status) to a handled call is to be dropped. */
  boolean loseReply(HttpCall call, int status) {
    if (status >= 500) {
      return false;
    }
    for (Fault fault : lostReplies) {
      if (fault.take(call)) {
        applied.incrementAndGet();
        return true;
      }
    }
    return false;
  }
}
