<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * A connector (Google Calendar, Outlook, Zoho, ...) and the account's connection to it.
 *
 * @property string $name `google-calendar`, `outlook`, `zoho`, `stripe`, `zapier`, `make`.
 * @property string $display_name
 * @property string $status `disconnected`, `connected` or `reauth_required`.
 * @property bool $configured Whether the hub has an OAuth application for this provider.
 * @property bool $supports_push
 * @property IntegrationAccount|null $connected_as
 * @property list<string> $scopes
 * @property string|null $connected_at
 * @property string|null $last_sync_at
 * @property string|null $last_sync_status
 * @property IntegrationError|null $last_error
 * @property string|null $next_sync_at
 * @property string|null $backoff_until
 * @property int $sync_interval
 * @property int $technicians_linked
 * @property int $pending_pushes
 * @property bool $mapping_overridden
 * @property IValidObject $last_stats
 */
class Integration extends IValidObject
{
    public const FIELDS = ['name', 'display_name', 'status', 'configured', 'supports_push', 'connected_as', 'scopes', 'connected_at', 'last_sync_at', 'last_sync_status', 'last_error', 'next_sync_at', 'backoff_until', 'sync_interval', 'technicians_linked', 'pending_pushes', 'mapping_overridden', 'last_stats'];

    protected const NESTED = [
        'connected_as' => IntegrationAccount::class,
        'last_error' => IntegrationError::class,
    ];
}
