<?php

declare(strict_types=1);

namespace iValid\Tests\Support;

/** Dates of the live tests, far from each other and from the other SDKs' bookings. */
final class Dates
{
    public const MONDAY = 0;
    public const TUESDAY = 1;
    public const WEDNESDAY = 2;
    public const THURSDAY = 3;
    public const FRIDAY = 4;

    /**
     * A UTC instant on `$weekday` (0 = Monday) `$weeks` weeks from now, at `$hour`:`$minute` UTC.
     *
     * Each live test books on its own day (the driver gives this suite its own hub, so the
     * Python and Node suites never share its slots). Hours 07-14 UTC are within the demo
     * technicians' working hours (08:00-17:00 Paris time) in winter and summer alike.
     */
    public static function futureSlot(int $weeks, int $weekday, int $hour, int $minute = 0): \DateTimeImmutable
    {
        $today = new \DateTimeImmutable('today', new \DateTimeZone('UTC'));
        $todayWeekday = ((int) $today->format('N')) - 1;
        $days = $weeks * 7 + (($weekday - $todayWeekday) % 7 + 7) % 7;
        return $today->modify("+{$days} days")->setTime($hour, $minute);
    }

    /** `2025-01-20T09:00:00Z`, as the API writes instants. */
    public static function isoZ(\DateTimeInterface $value): string
    {
        return \DateTimeImmutable::createFromInterface($value)
            ->setTimezone(new \DateTimeZone('UTC'))
            ->format('Y-m-d\TH:i:s\Z');
    }
}
