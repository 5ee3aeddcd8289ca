/** Response schemas shared by routes (they also stop accidental leaks of fields). */
import { Type } from '@sinclair/typebox'

export const ErrorResponse = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String(),
}, { $id: 'ErrorResponse' })

export const FlattenedJwsResponse = Type.Object({
  protected: Type.String(),
  payload: Type.String(),
  signature: Type.String(),
}, { description: 'A signed object: flattened JWS JSON serialization (see protocol/README.md).' })
