/**
 * Route schemas compiled on first use instead of at start-up. Fastify compiles every route's
 * validator (Ajv) and response serializer (fast-json-stringify) while booting; with three APIs
 * documented in full that is a large share of the mock's start-up, paid by every CI run, while
 * most routes of a given test suite are never called. Same compilers, same behaviour, later.
 */
import ValidatorSelector from '@fastify/ajv-compiler'
import SerializerSelector from '@fastify/fast-json-stringify-compiler'

type AnyFunction = (...args: any[]) => any

/** Wraps a compiler so that it compiles a route's schema when the route first needs it. */
function lazy<C extends (route: any) => AnyFunction> (compile: C): C {
  return ((route: unknown) => {
    let compiled: AnyFunction | undefined
    const run: AnyFunction & { errors?: unknown } = function (this: unknown, ...args: unknown[]): unknown {
      compiled ??= compile(route)
      const result = compiled.apply(this, args)
      // Ajv reports validation errors on the function itself.
      run.errors = (compiled as { errors?: unknown }).errors
      return result
    }
    return run
  }) as C
}

export function lazyCompilersFactory () {
  const buildValidator = ValidatorSelector()
  const buildSerializer = SerializerSelector()
  return {
    buildValidator: (...args: Parameters<typeof buildValidator>) => lazy(buildValidator(...args)),
    buildSerializer: (...args: Parameters<typeof buildSerializer>) => lazy(buildSerializer(...args))
  }
}
