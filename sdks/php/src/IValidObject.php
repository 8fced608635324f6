<?php

declare(strict_types=1);

namespace iValid;

/**
 * An API JSON object, readable as properties (`$apt->status`) and as an array (`$apt['status']`).
 *
 * It keeps every field the server sent, including those this SDK version does not know, and
 * `json_encode()` gives back the JSON received. Subclasses (`iValid\Model\*`) list the
 * documented fields in `FIELDS` (a documented field the server left out reads as null; any
 * other unknown name raises PHP's usual "Undefined property" warning) and name in `NESTED`
 * the fields holding objects of another model, in `NESTED_MAPS` those holding a JSON object
 * whose every value is one model (e.g. weekday → working hours).
 *
 * @implements \ArrayAccess<string, mixed>
 * @implements \IteratorAggregate<string, mixed>
 */
class IValidObject implements \ArrayAccess, \Countable, \IteratorAggregate, \JsonSerializable
{
    /** @var list<string> */
    public const FIELDS = [];

    /** @var array<string, class-string<IValidObject>> */
    protected const NESTED = [];

    /** @var array<string, class-string<IValidObject>> */
    protected const NESTED_MAPS = [];

    /** @var array<string, mixed> */
    private array $values = [];

    /**
     * Build the model from decoded JSON (an array or a `stdClass`), nested objects included.
     *
     * @param array<string, mixed>|object $values
     */
    public static function constructFrom(array|object $values): static
    {
        $obj = new static();
        foreach (is_object($values) ? get_object_vars($values) : $values as $key => $value) {
            $key = (string) $key;
            if (isset(static::NESTED_MAPS[$key]) && (is_object($value) || is_array($value))) {
                $obj->values[$key] = self::convertMap($value, static::NESTED_MAPS[$key]);
            } else {
                $obj->values[$key] = self::convert($value, static::NESTED[$key] ?? self::class);
            }
        }
        return $obj;
    }

    /**
     * A value of decoded JSON turned into models: objects become `$model`, lists stay lists.
     *
     * @param class-string<IValidObject> $model
     */
    public static function convert(mixed $value, string $model = self::class): mixed
    {
        if ($value instanceof self) {
            return $value;
        }
        if ($value instanceof \stdClass) {
            return $model::constructFrom($value);
        }
        if (is_array($value)) {
            if (array_is_list($value)) {
                return array_map(static fn (mixed $item): mixed => self::convert($item, $model), $value);
            }
            return $model::constructFrom($value);
        }
        return $value;
    }

    /**
     * @param array<string, mixed>|object $value
     * @param class-string<IValidObject> $model
     */
    private static function convertMap(array|object $value, string $model): self
    {
        $map = new self();
        foreach (is_object($value) ? get_object_vars($value) : $value as $key => $item) {
            $map->values[(string) $key] = self::convert($item, $model);
        }
        return $map;
    }

    public function __get(string $name): mixed
    {
        if (array_key_exists($name, $this->values)) {
            return $this->values[$name];
        }
        if (!in_array($name, static::FIELDS, true)) {
            // What PHP itself does for an undefined property: a warning, then null.
            trigger_error(sprintf('Undefined property: %s::$%s', static::class, $name), E_USER_WARNING);
        }
        return null;
    }

    public function __set(string $name, mixed $value): void
    {
        $this->values[$name] = $value;
    }

    public function __isset(string $name): bool
    {
        return isset($this->values[$name]);
    }

    public function __unset(string $name): void
    {
        unset($this->values[$name]);
    }

    /** Deep copy: changing a clone's nested object leaves the original alone. */
    public function __clone()
    {
        foreach ($this->values as $key => $value) {
            $this->values[$key] = self::deepCopy($value);
        }
    }

    public function offsetExists(mixed $offset): bool
    {
        return array_key_exists((string) $offset, $this->values);
    }

    public function offsetGet(mixed $offset): mixed
    {
        return $this->values[(string) $offset] ?? null;
    }

    public function offsetSet(mixed $offset, mixed $value): void
    {
        if ($offset === null) {
            throw new \InvalidArgumentException('An IValidObject field needs a name');
        }
        $this->values[(string) $offset] = $value;
    }

    public function offsetUnset(mixed $offset): void
    {
        unset($this->values[(string) $offset]);
    }

    public function count(): int
    {
        return count($this->values);
    }

    /** @return \ArrayIterator<string, mixed> */
    public function getIterator(): \ArrayIterator
    {
        return new \ArrayIterator($this->values);
    }

    /** @return list<string> The names of the fields the server sent. */
    public function keys(): array
    {
        return array_keys($this->values);
    }

    /**
     * A deep copy made of plain PHP arrays, e.g. to store or to compare.
     *
     * @return array<string, mixed>
     */
    public function toArray(): array
    {
        return self::plain($this->values);
    }

    /** The JSON object, `{}` when empty (never `[]`). */
    public function jsonSerialize(): object
    {
        return (object) $this->values;
    }

    /** The object as the JSON the API sent. */
    public function toJSON(): string
    {
        return json_encode($this, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR);
    }

    public function __toString(): string
    {
        $label = '';
        if (is_string($this->values['id'] ?? null)) {
            $label = ' id=' . $this->values['id'];
        } elseif (is_string($this->values['name'] ?? null)) {
            $label = ' name=' . $this->values['name'];
        }
        return sprintf('%s%s JSON: %s', static::class, $label, $this->toJSON());
    }

    private static function plain(mixed $value): mixed
    {
        if ($value instanceof self) {
            return self::plain($value->values);
        }
        if (is_array($value)) {
            return array_map(static fn (mixed $item): mixed => self::plain($item), $value);
        }
        return $value;
    }

    private static function deepCopy(mixed $value): mixed
    {
        if ($value instanceof self) {
            return clone $value;
        }
        if (is_array($value)) {
            return array_map(static fn (mixed $item): mixed => self::deepCopy($item), $value);
        }
        return $value;
    }
}
