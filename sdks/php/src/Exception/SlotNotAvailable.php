<?php

declare(strict_types=1);

namespace iValid\Exception;

/** 409 `SLOT_NOT_AVAILABLE`: the slot is taken; `getSuggestions()` lists free alternatives. */
class SlotNotAvailable extends ConflictError
{
}
