<?php

declare(strict_types=1);

namespace iValid\Model;

use iValid\IValidObject;

/**
 * Where a list page sits: `total` items over `total_pages` pages of `per_page`.
 *
 * @property int $total
 * @property int $page
 * @property int $per_page
 * @property int $total_pages
 */
class PageMeta extends IValidObject
{
    public const FIELDS = ['total', 'page', 'per_page', 'total_pages'];
}
