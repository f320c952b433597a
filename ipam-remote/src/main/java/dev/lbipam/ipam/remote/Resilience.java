package dev.lbipam.ipam.remote;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The retry and circuit-breaker policy of every backend that calls a server, so that Redis and
 * NetBox fail and recover alike: the breaker opens when half of the last 10 calls (at least 5)
 * failed, stays open for {@code openFor}, then lets a few calls probe; retries back off
 * exponentially and are counted as the {@code retry} event.
 */
public final class Resilience {
  private static final Logger LOG = LoggerFactory.getLogger(Resilience.class);
  static final int WINDOW_CALLS = 10;
  static final int MINIMUM_CALLS = 5;
  static final float FAILURE_RATE_PERCENT = 50;

  private Resilience() {}

  /**
   * @param countsAsFailure which exceptions of a decorated call count against the server (calls
   *     recorded by hand with {@code onError} always do)
   */
  public static CircuitBreaker breaker(String name, Duration openFor, int probeCalls, Predicate<Throwable> countsAsFailure) {
    CircuitBreaker breaker =
        CircuitBreaker.of(
            name,
            CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(WINDOW_CALLS)
                .minimumNumberOfCalls(MINIMUM_CALLS)
                .failureRateThreshold(FAILURE_RATE_PERCENT)
                .waitDurationInOpenState(atLeastOneMilli(openFor))
                .permittedNumberOfCallsInHalfOpenState(probeCalls)
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .recordException(countsAsFailure::test)
                .build());
    breaker.getEventPublisher()
        .onStateTransition(e -> LOG.warn("circuit breaker transition backend={} transition={}", name, e.getStateTransition()));
    return breaker;
  }

  /**
   * @param jitter 0 for plain exponential backoff, else the randomisation factor (0 to 1)
   */
  public static Retry retry(String name, int attempts, Duration firstBackoff, double jitter, Predicate<Throwable> retryOn,
      CallMetrics metrics) {
    Duration backoff = atLeastOneMilli(firstBackoff);
    Retry retry =
        Retry.of(
            name,
            RetryConfig.custom()
                .maxAttempts(attempts)
                .intervalFunction(jitter == 0
                    ? IntervalFunction.ofExponentialBackoff(backoff, 2.0)
                    : IntervalFunction.ofExponentialRandomBackoff(backoff, 2.0, jitter))
                .retryOnException(retryOn::test)
                .build());
    retry.getEventPublisher().onRetry(event -> metrics.count("retry"));
    return retry;
  }

  private static Duration atLeastOneMilli(Duration duration) {
    return duration.compareTo(Duration.ofMillis(1)) >= 0 ? duration : Duration.ofMillis(1);
  }
}
