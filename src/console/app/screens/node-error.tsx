/**
 * A failed request's message, as the node said it. When the node's agreement files are broken
 * (503 AGREEMENTS_INVALID from the /v1/policy routes), a link to the Agreement checks screen
 * follows, if the role may open it (GET /v1/me lists GET /v1/policy/lint).
 */
import { session } from '../api.js'
import { hrefOf, navigate } from '../router.js'
import { texts } from '../texts.js'

export function NodeError ({ error, code }: { error: string, code?: string }) {
  const checks = code === 'AGREEMENTS_INVALID' && session()?.routes.includes('GET /v1/policy/lint') === true
  return (
    <p class='error' role='alert'>
      {texts.error(error)}
      {checks && <>{' '}<a href={hrefOf('lint')} onClick={e => { e.preventDefault(); navigate(hrefOf('lint')) }}>{texts.agreementsInvalid}</a></>}
    </p>
  )
}
